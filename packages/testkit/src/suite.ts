import { MemoryIdempotencyStore } from '@ferry/core';
import { describe, it } from 'vitest';
import type { CaseGroupFactory, ConformanceCase } from './case.ts';
import { ackNackCases } from './cases/ack-nack.ts';
import { batchCases } from './cases/batch.ts';
import { capabilityCases } from './cases/capabilities.ts';
import { closedCases } from './cases/closed.ts';
import { declaredGroupCases } from './cases/declared-groups.ts';
import { delayPriorityCases } from './cases/delay-priority.ts';
import { flowCases } from './cases/flow.ts';
import { groupCases } from './cases/groups.ts';
import { guaranteeCases } from './cases/guarantees.ts';
import { invalidCases } from './cases/invalid.ts';
import { orderingCases } from './cases/ordering.ts';
import { payloadCases } from './cases/payload.ts';
import { reconnectCases } from './cases/reconnect.ts';
import { replayCases } from './cases/replay.ts';
import { retryDeadLetterCases } from './cases/retry-dead-letter.ts';
import { roundTripCases } from './cases/round-trip.ts';
import { CaseEnv, type SuiteInfo } from './env.ts';
import type { ConformanceOptions, StoreFactory } from './options.ts';

/** Every themed group, in the order they are registered. */
export const caseGroups: readonly CaseGroupFactory[] = [
  capabilityCases,
  roundTripCases,
  payloadCases,
  ackNackCases,
  retryDeadLetterCases,
  guaranteeCases,
  groupCases,
  declaredGroupCases,
  orderingCases,
  replayCases,
  delayPriorityCases,
  flowCases,
  invalidCases,
  closedCases,
  reconnectCases,
  batchCases,
];

const DEFAULT_TIMEOUT_MS = 20_000;
const WAIT_MARGIN_MS = 15_000;

/**
 * Registers the conformance suite for one transport as vitest describe blocks. Call it at the top
 * level of a test file. Reads the capabilities from one transport instance (then closes it); every
 * case makes its own transports with `createTransport` and closes them.
 */
export function runConformanceSuite(options: ConformanceOptions): void {
  if (!options.name) throw new TypeError('runConformanceSuite: `name` is required');
  const scale = options.timeoutScale ?? 1;
  if (!(scale > 0)) throw new TypeError(`runConformanceSuite: timeoutScale must be > 0, got ${String(options.timeoutScale)}`);
  describe(`conformance: ${options.name}`, async () => {
    const probe = await options.createTransport();
    const info: SuiteInfo = { options, transportName: probe.name, capabilities: probe.capabilities, scale };
    await probe.close();
    for (const factory of caseGroups) {
      const group = factory(info);
      describe(group.title, () => {
        for (const c of group.cases) registerCase(info, c);
      });
    }
  });
}

/** The in-memory store every "process" of a case shares (it stands for a shared database). */
const sharedMemoryStore: StoreFactory = { name: 'memory', create: () => memoryStore };
const memoryStore = new MemoryIdempotencyStore();

function registerCase(info: SuiteInfo, c: ConformanceCase): void {
  if (!c.perStore) return registerOne(info, c, c.name);
  const stores = info.options.stores ?? [sharedMemoryStore];
  for (const store of stores) registerOne(info, c, `${c.name} [store: ${store.name}]`, store);
}

function registerOne(info: SuiteInfo, c: ConformanceCase, name: string, store?: StoreFactory): void {
  // Past the case's own waits (env.ms of the same budget), so a stalled case fails in its waitFor,
  // which says what it saw, rather than in vitest's bare timeout.
  const timeout = Math.ceil((c.timeoutMs ?? DEFAULT_TIMEOUT_MS) * info.scale) + WAIT_MARGIN_MS;
  const note = c.skip;
  if (note !== undefined) {
    it(name, (context) => context.skip(note));
    return;
  }
  it(
    name,
    async () => {
      const env = new CaseEnv(info, c.id, store);
      let failed = false;
      try {
        await c.run(env);
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        // A failed case reports its own error, not a follow-up error from closing.
        await env.dispose().catch((error: unknown) => {
          if (!failed) throw error;
        });
      }
    },
    timeout,
  );
}

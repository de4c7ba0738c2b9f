import { expect } from 'vitest';
import { expectCapabilityError } from '../assertions.ts';
import type { CaseGroupFactory, ConformanceCase } from '../case.ts';
import type { CaseEnv } from '../env.ts';
import { InstrumentedTransport } from '../instrument.ts';
import { itemMessage } from '../messages.ts';
import { waitFor } from '../wait.ts';

/**
 * For every feature the transport declares it lacks, asking for it is refused with a
 * CapabilityError naming the transport and the feature: at consumer configuration, or at publish
 * for per-message options. Plus checks that the declared capabilities are coherent.
 */
export const capabilityCases: CaseGroupFactory = (info) => {
  const caps = info.capabilities;
  const cases: ConformanceCase[] = [
    { id: 'caps-shape', name: 'declared capabilities are well-formed and the transport names itself', run: shape },
    { id: 'default-consumer', name: 'a consumer with default options (only a group) can be configured and started on this transport', run: defaultConsumer },
    { id: 'transact-coherent', name: `deliveries ${caps.transactions ? 'offer' : 'do not offer'} transact(), as capabilities.transactions (${String(caps.transactions)}) declares`, run: transactCoherent },
  ];
  for (const kind of ['earliest', 'offset', 'timestamp'] as const) {
    if (caps.replay.includes(kind)) continue;
    const start = kind === 'earliest' ? { from: kind } : kind === 'offset' ? { from: kind, offset: 0 } : { from: kind, timestamp: Date.now() };
    cases.push({
      id: `refuse-replay-${kind}`,
      name: `refuses replay from ${kind} at consumer configuration (capabilities.replay lacks it)`,
      run: (env) => expectCapabilityError(async () => (await env.client()).consumer({ group: env.group(), start }), env.transportName, /replay/i).then(() => undefined),
    });
  }
  if (caps.delay === false) {
    cases.push({
      id: 'refuse-delay',
      name: 'refuses delayMs at publish, and a retry backoff at consumer configuration (capabilities.delay is false)',
      run: async (env) => {
        const client = await env.client();
        await expectCapabilityError(() => client.producer().publish(itemMessage(env.topic()), { n: 1 }, { delayMs: 1000 }), env.transportName, /delay/i);
        await expectCapabilityError(() => client.consumer({ group: env.group(), retry: { attempts: 3, initialDelayMs: 100 } }), env.transportName, /delay/i);
      },
    });
  }
  if (caps.priority === false) {
    cases.push({
      id: 'refuse-priority',
      name: 'refuses priority at publish (capabilities.priority is false)',
      run: async (env) => {
        const client = await env.client();
        await expectCapabilityError(() => client.producer().publish(itemMessage(env.topic()), { n: 1 }, { priority: 1 }), env.transportName, /priority/i);
      },
    });
  }
  if (!caps.orderingByKey) {
    cases.push({
      id: 'refuse-ordering',
      name: 'refuses orderedByKey: true at consumer configuration (capabilities.orderingByKey is false)',
      run: async (env) => {
        const client = await env.client();
        await expectCapabilityError(() => client.consumer({ group: env.group(), orderedByKey: true, retry: env.retry(3) }), env.transportName, /order/i);
      },
    });
  }
  if (!caps.fanOut) {
    cases.push({
      id: 'refuse-fan-out',
      name: 'refuses a second group on a topic another group consumes (capabilities.fanOut is false)',
      run: async (env) => {
        const message = itemMessage(env.topic());
        await env.consume(await env.client(), { group: env.group('first'), retry: env.retry(3) }, message, () => undefined);
        const client = await env.client();
        await expectCapabilityError(
          async () => {
            const consumer = client.consumer({ group: env.group('second'), retry: env.retry(3) }).handle(message, () => undefined);
            await consumer.start();
          },
          env.transportName,
          /fan-?out|group/i,
        );
      },
    });
  }
  return { title: 'capabilities and refusals', cases };
};

async function shape(env: CaseEnv): Promise<void> {
  const caps = env.capabilities;
  expect(env.transportName).toMatch(/^[a-z0-9][a-z0-9-]*$/);
  expect(typeof caps.orderingByKey).toBe('boolean');
  expect(typeof caps.fanOut).toBe('boolean');
  expect(typeof caps.nativeDeadLetter).toBe('boolean');
  expect(typeof caps.transactions).toBe('boolean');
  for (const kind of caps.replay) expect(['earliest', 'offset', 'timestamp']).toContain(kind);
  if (caps.delay !== false) expect(caps.delay.maxMs).toBeGreaterThan(0);
  if (caps.priority !== false) expect(caps.priority.max).toBeGreaterThanOrEqual(1);
  expect(Number.isSafeInteger(caps.maxMessageBytes) && caps.maxMessageBytes > 2048).toBe(true);
  // Every instance of the adapter declares the same (the suite reads them from one).
  const other = await env.transport();
  expect(other.name).toBe(env.transportName);
  expect(other.capabilities).toEqual(caps);
}

async function defaultConsumer(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const seen: number[] = [];
  const client = await env.client();
  const consumer = client.consumer({ group: env.group() }).handle(message, (item) => void seen.push(item.n));
  await consumer.start();
  await (await env.client()).producer().publish(message, { n: 1 });
  await waitFor(() => seen.length >= 1, env.ms(10_000), () => 'the message at the default consumer');
  expect(seen).toEqual([1]);
}

async function transactCoherent(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const transport = new InstrumentedTransport(await env.transport());
  let handled = 0;
  await env.consume(await env.wrap(transport), { group: env.group(), retry: env.retry(3) }, message, () => void handled++);
  await (await env.client()).producer().publish(message, { n: 1 });
  await waitFor(() => handled >= 1, env.ms(10_000), () => 'one delivery');
  expect(transport.sawTransact).toBe(env.capabilities.transactions);
}

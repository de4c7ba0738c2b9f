/**
 * The outbox cases of one broker (each broker's test file calls this): a rolled-back transaction
 * publishes nothing; 20,000 messages from concurrent transactions arrive with none lost while the
 * `ferry relay` process is SIGKILLed 10 times (copies only as the same id, suppressed by the
 * consumer's inbox); two relays together publish each row once. At the end every relay must stop
 * on SIGTERM with exit code 0 (the batch in flight finished, the slots released). Where the consumer keeps per-key
 * order (`ordered`), each key's messages must take effect in the order their transactions committed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { OutboxBroker } from './brokers.ts';
import { formatOutboxTable, outboxRun, type OutboxRunResult } from './outbox-run.ts';
import { rollbackRun } from './rollback-run.ts';
import { KILL_RUN, TWO_RELAYS_RUN } from './settings.ts';

export function outboxSuite(broker: OutboxBroker, title: string, options: { readonly ordered: boolean }): void {
  const results: OutboxRunResult[] = [];
  const order = options.ordered ? { keysOutOfOrder: 0 } : {};
  afterAll(() => void (results.length > 0 && console.log(`\noutbox on ${title}\n${formatOutboxTable(results)}\n`)));

  describe(`outbox on ${title}`, () => {
    it('a rolled-back transaction publishes nothing; the committed ones all arrive', async () => {
      expect(await rollbackRun(broker)).toEqual({ committed: 100, rolledBack: 100, arrived: 100, rolledBackArrived: 0 });
    });

    it(`${KILL_RUN.messages} messages from concurrent transactions, the relay SIGKILLed ${KILL_RUN.kills} times: none lost, no duplicate effect${options.ordered ? ', per-key commit order' : ''}`, { timeout: 200_000 }, async () => {
      const r = await outboxRun(broker, KILL_RUN);
      results.push(r);
      console.log(formatOutboxTable([r]));
      expect(r).toMatchObject({ messages: KILL_RUN.messages, kills: KILL_RUN.kills, lost: 0, phantoms: 0, duplicateEffects: 0, gracefulStops: 1, ...order });
    });

    it(`two relays together publish each row once${options.ordered ? ', in per-key commit order' : ''}`, { timeout: 150_000 }, async () => {
      const r = await outboxRun(broker, TWO_RELAYS_RUN);
      results.push(r);
      console.log(formatOutboxTable([r]));
      expect(r).toMatchObject({ messages: TWO_RELAYS_RUN.messages, lost: 0, phantoms: 0, copiedIds: 0, duplicateEffects: 0, gracefulStops: 2, ...order });
    });
  });
}

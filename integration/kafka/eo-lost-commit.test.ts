/**
 * A Kafka transaction that committed on the broker while its client saw the commit fail (the
 * answer lost to a cut connection or a broker restart) must not run its handler again: the
 * output would be committed twice. The broker is real; what is injected is only the lost answer:
 * the transport's transactional producer commits for real, then its commit() rejects as a dropped
 * connection would. Fault runs (`pnpm faults kafka --mode eo-transactions`) found outputs committed
 * twice after connections were cut and the broker restarted; this is one way that happens.
 */
import { KafkaTransport } from '@ferry/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, defineMessage, type Client } from '@ferry/core';
import { kafka, kafkaUrl, sleep, spec, subscribe, TEST_OPTIONS, topicName, waitFor } from './helpers.ts';
import type { Transport } from '@ferry/core/spi';

type Commit = () => Promise<void>;
interface ProducerLike {
  transaction(): Promise<{ commit: Commit }>;
}
interface DriverLike {
  producer(options: { transactionalId?: string }): ProducerLike;
}

const clients: Client[] = [];
const transports: Transport[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(transports.map((t) => t.close()));
});

/** The transport's transactional producers commit, then the first `lose` commits report a failure all the same. */
function losingCommitAnswers(transport: KafkaTransport, lose: number): { lost: () => number } {
  const driver = (transport as unknown as { driver: DriverLike }).driver;
  const make = driver.producer.bind(driver);
  let lost = 0;
  driver.producer = (options) => {
    const producer = make(options);
    if (!options.transactionalId) return producer;
    const transaction = producer.transaction.bind(producer);
    producer.transaction = async () => {
      const tx = await transaction();
      const commit = tx.commit.bind(tx);
      tx.commit = async () => {
        await commit();
        if (lost < lose) {
          lost++;
          throw new Error('Connection closed (injected: the commit reached the broker, its answer did not come back)');
        }
      };
      return tx;
    };
    return producer;
  };
  return { lost: () => lost };
}

describe('kafka exactly-once, a commit whose answer was lost', () => {
  it('does not run the handler again: each input has one output, read committed', { timeout: 120_000 }, async () => {
    const input = topicName('eo-lost-in');
    const output = topicName('eo-lost-out');
    const COUNT = 6;
    const Input = defineMessage('eo.input', z.object({ n: z.number().int() }), { topic: input });
    const Output = defineMessage('eo.output', z.object({ n: z.number().int() }), { topic: output });

    const transport = new KafkaTransport(kafkaUrl(), { ...TEST_OPTIONS, partitions: 1 } as Record<string, unknown>);
    const injected = losingCommitAnswers(transport, 2);
    const client = await createClient(transport);
    clients.push(client);
    const runs = new Map<number, number>();
    const consumer = client
      .consumer({ group: topicName('eo-lost-g'), delivery: 'exactly-once', concurrency: 1, retry: { attempts: 5, initialDelayMs: 10, maxDelayMs: 100 } })
      .handle(Input, async (item, ctx) => {
        runs.set(item.n, (runs.get(item.n) ?? 0) + 1);
        await ctx.publish(Output, { n: item.n });
      });
    await consumer.start();
    const producer = client.producer();
    for (let n = 0; n < COUNT; n++) await producer.publish(Input, { n });

    // read_committed (the transport's consumers read committed records only).
    const reader = kafka({ partitions: 1 });
    transports.push(reader);
    const outputs: number[] = [];
    await subscribe(reader, spec(output, topicName('eo-lost-reader')), (d) => {
      outputs.push((JSON.parse(new TextDecoder().decode(d.envelope.payload)) as { n: number }).n);
      void d.ack();
    });
    await waitFor(() => new Set(outputs).size >= COUNT, 60_000, () => `${COUNT} outputs (${outputs.length})`);
    await sleep(1500); // a second output, if any, would arrive meanwhile

    expect(injected.lost()).toBe(2);
    const duplicated = [...new Set(outputs)].filter((n) => outputs.filter((o) => o === n).length > 1);
    console.log(`outputs ${outputs.length} for ${COUNT} inputs; duplicated: [${duplicated.join(', ')}]; handler runs: ${JSON.stringify([...runs])}`);
    expect(outputs.sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, n) => n));
    expect([...runs.values()].every((r) => r === 1)).toBe(true);
  });
});

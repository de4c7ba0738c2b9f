/**
 * A poison message that kills its consumer process (SIGKILL of itself, no failure ever seen) under
 * at-least-once, on Kafka and on a RabbitMQ classic queue, neither of which counts such
 * redeliveries: with `maxDeliveries` counted in the Redis store, the child is restarted each time
 * it dies, and after `limit` deaths the next delivery dead-letters the poison without running it;
 * the good messages behind it are all handled, once each (counted by id in Redis). Before, the
 * poison came back forever and nothing behind it was handled.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient as createRedis } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, defineMessage, HEADERS, type Client, type Transport } from '@ferry/core';
import { DEAD_LETTER_GROUP, type Delivery } from '@ferry/core/spi';
import { spec, storesFromEnv, subscribe, uniqueName } from '../harness/index.ts';
import { startChild } from '../harness/child-process.ts';
import { kafka } from '../kafka/helpers.ts';
import { rabbit } from '../rabbitmq/helpers.ts';
import { POISON_SETTINGS, type PoisonBroker } from './settings.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const LIMIT = 3;
const GOOD = 30;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const clients: Client[] = [];
afterAll(() => Promise.all(clients.map((c) => c.close())));

const transports: Record<PoisonBroker, () => Transport> = {
  kafka: () => kafka(POISON_SETTINGS.kafka),
  rabbitmq: () => rabbit(POISON_SETTINGS.rabbitmq),
};

describe.each(['kafka', 'rabbitmq'] as const)('a message that kills its consumer process (%s, at-least-once)', (broker) => {
  it(`is dead-lettered after ${LIMIT} deaths, and the messages behind it are handled once each`, async () => {
    const topic = uniqueName(`poison-${broker}`);
    const group = 'g';
    const keyPrefix = `${uniqueName('ferry-poison')}:`;
    const Item = defineMessage('poison.item', z.object({ n: z.number().int(), poison: z.boolean() }), { topic });
    const args = [broker, topic, group, keyPrefix, String(LIMIT)];
    // The child first: its subscription makes the group's queue exist before anything is published.
    let child = startChild(path.join(here, 'poison-child.ts'), args);
    await child.ready;
    const client = await createClient(transports[broker]());
    clients.push(client);
    const dead: Delivery[] = [];
    await subscribe(client.transport, spec(`${topic}.dlq`, DEAD_LETTER_GROUP), (d) => {
      dead.push(d);
      void d.ack();
    });
    const producer = client.producer();
    const poisonId = await producer.publish(Item, { n: 0, poison: true });
    const goodIds: string[] = [];
    for (let n = 1; n <= GOOD; n++) goodIds.push(await producer.publish(Item, { n, poison: false }));

    const redis = createRedis({ url: storesFromEnv().redis.url });
    await redis.connect();
    let deaths = 0;
    try {
      const counts = async () => redis.hGetAll(`${keyPrefix}effects`);
      const deadline = Date.now() + 360_000;
      for (;;) {
        const handled = await counts();
        if (dead.some((d) => d.envelope.id === poisonId) && goodIds.every((id) => handled[id] !== undefined)) break;
        if (Date.now() > deadline || deaths > LIMIT + 2) throw new Error(`poison not dead-lettered: ${deaths} deaths, ${Object.keys(handled).length}/${GOOD} handled, ${dead.length} dead letters`);
        const exited = await Promise.race([child.exited.then(() => true), sleep(200).then(() => false)]);
        if (!exited) continue;
        expect(child.process.signalCode).toBe('SIGKILL');
        deaths++;
        child = startChild(path.join(here, 'poison-child.ts'), args);
        await child.ready;
      }
      // A little longer: a duplicate would show up now.
      await sleep(1_000);
      const handled = await counts();
      const lost = goodIds.filter((id) => handled[id] === undefined);
      const duplicated = goodIds.filter((id) => Number(handled[id]) > 1);
      const letter = dead.find((d) => d.envelope.id === poisonId)!;
      console.log(`[poison ${broker}] deaths ${deaths}, dead letters ${dead.length} (kind ${letter.envelope.headers[HEADERS.deadLetterKind]}), good handled ${GOOD - lost.length}/${GOOD}, lost ${lost.length}, duplicated ${duplicated.length}`);
      expect(deaths).toBe(LIMIT);
      expect(letter.envelope.headers[HEADERS.deadLetterKind]).toBe('crash-loop');
      expect(letter.envelope.headers[HEADERS.deadLetterReason]).toContain('maxDeliveries');
      expect(dead).toHaveLength(1);
      expect(lost).toEqual([]);
      expect(duplicated).toEqual([]);
    } finally {
      child.process.kill('SIGTERM');
      await Promise.race([child.exited, sleep(10_000)]);
      child.process.kill('SIGKILL');
      await redis.quit();
    }
  }, 420_000);
});

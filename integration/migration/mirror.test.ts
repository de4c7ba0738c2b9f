/**
 * The mirror on real brokers (Kafka and RabbitMQ): every publish on both, each copy intact; a
 * consumer of the mirror with a shared store has one effect per id; a broker that refuses or is
 * down fails the publish naming it (the other has the message), and publishing the same id again
 * once it is back leaves one effect.
 */
import { randomBytes } from 'node:crypto';
import { createClient, MirrorPublishError, type Client, type Envelope } from '@ferry/core';
import { RedisIdempotencyStore } from '@ferry/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { startTcpProxy, storesFromEnv, uniqueName } from '../harness/index.ts';
import { dropRedisPrefix } from '../exactly-once/stores.ts';
import { cleanup, setup } from './brokers.ts';
import { Effects, itemMessage } from './effects.ts';

const keyPrefix = `ferry-mirror:${randomBytes(4).toString('hex')}:`;
const topics: string[] = [];
const clients: Client[] = [];
const store = new RedisIdempotencyStore({ url: storesFromEnv().redis.url, keyPrefix });
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close({ timeoutMs: 2_000 })));
  await store.close();
  await Promise.allSettled([dropRedisPrefix(keyPrefix), ...topics.map((t) => cleanup('rabbitmq', t))]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(condition: () => boolean, what: () => string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(50);
  }
}
async function client(...args: Parameters<typeof createClient>): Promise<Client> {
  const c = await createClient(...args);
  clients.push(c);
  return c;
}
function names() {
  const topic = uniqueName('mirror');
  topics.push(topic);
  return { topic, group: uniqueName('app'), kafka: setup('kafka', { prefix: topic }), rabbit: setup('rabbitmq', { prefix: topic }) };
}

/** Every envelope of `topic` that reaches `group` on one broker. */
async function read(url: string, options: Record<string, unknown>, topic: string, group: string): Promise<Envelope[]> {
  const seen: Envelope[] = [];
  await (await client(url, { transport: options })).consumer({ group }).handle(itemMessage(topic), (_i, ctx) => void seen.push(ctx.envelope)).start();
  return seen;
}

describe('mirror on Kafka and RabbitMQ', () => {
  it('publishes each message to both brokers intact; a consumer of the mirror with a shared store has one effect each', { timeout: 90_000 }, async () => {
    const { topic, group, kafka, rabbit } = names();
    const onKafka = await read(kafka.url, kafka.options, topic, group);
    const onRabbit = await read(rabbit.url, rabbit.options, topic, group); // the group's queue exists from here on
    const mirror = await client([kafka.url, rabbit.url], { transport: [kafka.options, rabbit.options] });
    expect(mirror.transport.name).toBe('mirror(kafka, rabbitmq)');
    const producer = mirror.producer();
    const ids: string[] = [];
    for (let n = 0; n < 200; n++) ids.push(await producer.publish(itemMessage(topic), { n }, { key: `k${n % 8}`, headers: { tenant: 'acme' } }));
    await until(() => onKafka.length >= 200 && onRabbit.length >= 200, () => `kafka ${onKafka.length}, rabbitmq ${onRabbit.length} of 200`);
    for (const side of [onKafka, onRabbit]) {
      expect(side.map((e) => e.id).sort()).toEqual([...ids].sort());
      expect(side.every((e) => e.headers.tenant === 'acme' && e.key === `k${JSON.parse(new TextDecoder().decode(e.payload)).n % 8}`)).toBe(true);
    }
    // The application during the cut-over: one consumer reading both, in a group of its own here.
    const effects = new Effects();
    const reader = await client([kafka.url, rabbit.url], { transport: [kafka.options, rabbit.options], idempotencyStore: store });
    const readerGroup = `${group}-both`;
    await effects.consume(reader, { topic, group: readerGroup, store });
    // Its RabbitMQ queue exists from its start: the next 100 reach it on both brokers.
    const more: string[] = [];
    for (let n = 200; n < 300; n++) more.push(await producer.publish(itemMessage(topic), { n }));
    await until(() => more.every((id) => (effects.deliveries.get(id) ?? 0) >= 2), () => `${more.filter((id) => (effects.deliveries.get(id) ?? 0) >= 2).length}/100 delivered from both brokers`);
    await sleep(500);
    const tally = effects.tally(more);
    expect(tally).toMatchObject({ lost: 0, duplicateEffects: 0, duplicatedIds: 100 });
  });

  it('a publish RabbitMQ refuses (no group keeps the topic there) rejects naming it; Kafka has it', { timeout: 60_000 }, async () => {
    const { topic, kafka, rabbit } = names();
    const mirror = await client([kafka.url, rabbit.url], { transport: [kafka.options, rabbit.options] });
    const error = await mirror.producer().publish(itemMessage(topic), { n: 1 }, { id: 'refused-by-rabbit' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MirrorPublishError);
    expect(error).toMatchObject({ code: 'FERRY_NO_GROUP', failed: ['rabbitmq'], accepted: ['kafka'] });
    expect((error as Error).message).toMatch(/refused by rabbitmq: No consumer group keeps messages of topic .*kafka accepted it: publish again with the same id/);
    const onKafka = await read(kafka.url, kafka.options, topic, uniqueName('check'));
    await until(() => onKafka.length === 1, () => 'the message on kafka');
    expect(onKafka[0]!.id).toBe('refused-by-rabbit');
  });

  it('RabbitMQ down: the publish fails naming it; the same id again once it is back has one effect', { timeout: 90_000 }, async () => {
    const { topic, group, kafka, rabbit } = names();
    const target = new URL(rabbit.url);
    let proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5672) });
    const viaProxy = new URL(rabbit.url);
    viaProxy.hostname = proxy.host;
    viaProxy.port = String(proxy.port);
    const rabbitOptions = { ...rabbit.options, publishTimeoutMs: 2_000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } };
    const effects = new Effects();
    const app = await client([kafka.url, viaProxy.toString()], { transport: [kafka.options, rabbitOptions], idempotencyStore: store, topics: { [topic]: { groups: [group] } } });
    await effects.consume(app, { topic, group, store });
    const producer = app.producer();
    await producer.publish(itemMessage(topic), { n: 0 }, { id: 'before' });

    const port = proxy.port;
    await proxy.close(); // connections cut, nothing listening: the broker is unreachable
    const error = await producer.publish(itemMessage(topic), { n: 1 }, { id: 'during' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MirrorPublishError);
    expect(error).toMatchObject({ failed: ['rabbitmq'], accepted: ['kafka'] });

    proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5672), listenPort: port });
    // As the error says: the same id again, until both have it.
    for (let tries = 0; ; tries++) {
      try {
        await producer.publish(itemMessage(topic), { n: 1 }, { id: 'during' });
        break;
      } catch (e) {
        if (tries > 50) throw e;
        await sleep(200);
      }
    }
    await until(() => (effects.deliveries.get('during') ?? 0) >= 3 && (effects.deliveries.get('before') ?? 0) >= 2, () => JSON.stringify([...effects.deliveries]));
    await sleep(500);
    expect(effects.tally(['before', 'during'])).toMatchObject({ lost: 0, duplicateEffects: 0 });
    await proxy.close();
  });
});

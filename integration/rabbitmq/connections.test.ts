/**
 * Publishing and consuming have an AMQP connection each, opened on first use: the broker lists
 * `<connectionName>/publish` and `<connectionName>/consume`, and a transport that only publishes
 * (or only consumes) opens only its one.
 *
 * Why two: RabbitMQ holds back a publisher (credit flow, a memory or disk alarm) by no longer
 * reading its connection, and the acks of consumers on that connection would wait with it. The
 * broker's own blocking cannot be provoked for one connection (the alarm thresholds are global
 * settings of the shared broker), so a proxy stops reading the publish connection the same way:
 * the publisher gets no confirms while the consumer keeps acking and receiving.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { amqpUrl, message, rabbit, rabbitmqctl, sleep, spec, subscribe, topicName, useOwnVhost } from './helpers.ts';

const vhost = useOwnVhost('ferry-rmq-connections');

/** The connection names the broker lists on this file's vhost. */
async function connectionNames(): Promise<string[]> {
  const out = await rabbitmqctl('list_connections', '--no-table-headers', 'vhost', 'client_properties');
  return out
    .split('\n')
    .filter((line) => line.startsWith(`${vhost.name}\t`))
    .map((line) => /"connection_name",(?:longstr,)?"([^"]*)"/.exec(line)?.[1] ?? '(none)')
    .sort();
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await sleep(200);
  }
}

/**
 * A proxy that can stop reading one client connection (the one whose AMQP client properties
 * carry `name`), as RabbitMQ does to a connection it blocks: its bytes wait, the others flow.
 */
async function holdingProxy(): Promise<{ port: number; hold(name: string): void; release(): void; close(): Promise<void> }> {
  const target = new URL(amqpUrl());
  const links: Array<{ client: net.Socket; upstream: net.Socket; sent: string }> = [];
  let held: string | undefined;
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target.hostname, port: Number(target.port || 5672) });
    const link = { client, upstream, sent: '' };
    links.push(link);
    client.on('data', (chunk: Buffer) => {
      if (link.sent.length < 4096) link.sent += chunk.toString('latin1');
      if (held !== undefined && link.sent.includes(held)) client.pause();
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => {
          if (held === undefined || !link.sent.includes(held)) client.resume();
        });
      }
    });
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    hold(name) {
      held = name;
      for (const l of links) if (l.sent.includes(name)) l.client.pause();
    },
    release() {
      held = undefined;
      for (const l of links) l.client.resume();
    },
    close: () => {
      for (const l of links) {
        l.client.destroy();
        l.upstream.destroy();
      }
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('rabbitmq connections', () => {
  it('publishes on one connection and consumes on another, each opened on first use', async (ctx) => {
    if (!vhost.available) ctx.skip(true, "needs rabbitmqctl for the broker under test (the machine's own RabbitMQ)");
    const topic = topicName('conns');
    const producer = rabbit({ connectionName: 'only-publishes' }, vhost.url());
    const consumer = rabbit({ connectionName: 'only-consumes' }, vhost.url());
    const both = rabbit({ connectionName: 'does-both' }, vhost.url());
    try {
      await producer.declareGroups({ topic, groups: ['g'], deadLetterTopic: `${topic}.dlq`, orderedByKey: false });
      await producer.send([message(topic)]);
      const received: string[] = [];
      await subscribe(consumer, spec(topic, 'g'), (d) => {
        received.push(d.envelope.id);
        void d.ack();
      });
      await subscribe(both, spec(topic, 'h'), (d) => void d.ack());
      await both.send([message(topic)]);
      const expected = ['does-both/consume', 'does-both/publish', 'only-consumes/consume', 'only-publishes/publish'];
      expect(await eventually(connectionNames, (names) => names.join() === expected.join())).toEqual(expected);
      await eventually(async () => received.length, (n) => n >= 2);
      expect(received).toHaveLength(2);
    } finally {
      await Promise.all([producer.close(), consumer.close(), both.close()]);
    }
    expect(await eventually(connectionNames, (names) => names.length === 0)).toEqual([]);
  });

  it('keeps acking and receiving while the publish connection is held back', async () => {
    const proxy = await holdingProxy();
    const topic = topicName('held');
    const t = rabbit({ connectionName: 'held-test', publishTimeoutMs: 60_000 }, vhost.url(proxy.port));
    try {
      await t.declareGroups({ topic, groups: ['g'], deadLetterTopic: `${topic}.dlq`, orderedByKey: false });
      const total = 300;
      await t.send(Array.from({ length: total }, () => message(topic)));
      proxy.hold('held-test/publish');
      let confirmed = false;
      const late = t.send([message(topic)]).then(() => void (confirmed = true));
      // Prefetch 10: all 300 arrive only if the acks reach the broker.
      const ids = new Set<string>();
      await subscribe(t, spec(topic, 'g', { maxInFlight: 10 }), (d) => {
        ids.add(d.envelope.id);
        void d.ack();
      });
      await eventually(async () => ids.size, (n) => n >= total, 20_000);
      expect(ids.size).toBe(total);
      expect(confirmed).toBe(false); // the publisher really was held back meanwhile
      proxy.release();
      await late;
      await eventually(async () => ids.size, (n) => n > total, 20_000);
      expect(ids.size).toBe(total + 1);
    } finally {
      proxy.release();
      await t.close();
      await proxy.close();
    }
  });
});

/**
 * `ferry dlq list|show|redrive|purge` spawned as a process against Kafka, RabbitMQ and SQS (and
 * memory, seeded in the CLI's own process): counts without consuming, one dead letter in full
 * (undecodable bytes too), redrive by filter with a dry run, purge with consent, and an unknown
 * dead-letter topic as an error that leaves nothing behind on the broker.
 */
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import amqp from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { endpointsFromEnv, uniqueName } from '../harness/index.ts';
import { brokerUrl, type OutboxBroker } from '../outbox/brokers.ts';
import { ferry, type Run } from './ferry.ts';
import { seedDeadLetters, UNDECODABLE } from './seed.ts';

/** Per broker: adapter options for short polls, and how long a read waits for nothing more. */
const SETTINGS: Record<OutboxBroker, { options: Record<string, unknown>; idleMs: number }> = {
  kafka: { options: { consumer: { maxWaitTimeMs: 100 } }, idleMs: 5000 },
  rabbitmq: { options: {}, idleMs: 1500 },
  sqs: { options: { waitTimeSeconds: 1 }, idleMs: 2500 },
};

interface Listed {
  count: number;
  deadLetters: Array<{ id: string; type: string; kind: string; reason: string }>;
}

function json<T>(run: Run): T {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

/** What the broker holds whose name starts with `name` (topics, queues, exchanges), read with its own client. */
async function leftovers(broker: OutboxBroker, name: string): Promise<string[]> {
  const endpoints = endpointsFromEnv();
  if (broker === 'kafka') {
    const admin = new Kafka({ brokers: endpoints.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      return (await admin.listTopics()).filter((t) => t.startsWith(name));
    } finally {
      await admin.disconnect();
    }
  }
  if (broker === 'rabbitmq') {
    const connection = await amqp.connect(endpoints.amqp.url);
    const found: string[] = [];
    try {
      // A failed passive check closes its channel: one channel per check.
      for (const queue of [`${name}.ferry-dead-letters`, `${name}.dlq.ferry-dead-letters`, `${name}.ferry-dead-letters.retry.1000`]) {
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        if (await channel.checkQueue(queue).then(() => true, () => false)) found.push(queue);
        await channel.close().catch(() => undefined);
      }
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      if (await channel.checkExchange(name).then(() => true, () => false)) found.push(`exchange ${name}`);
      await channel.close().catch(() => undefined);
    } finally {
      await connection.close();
    }
    return found;
  }
  const sqs = new SQSClient({ region: endpoints.sqs.region, endpoint: endpoints.sqs.endpoint, credentials: { accessKeyId: endpoints.sqs.accessKeyId, secretAccessKey: endpoints.sqs.secretAccessKey } });
  try {
    return (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: name.replace(/[^A-Za-z0-9_-]/g, '_') }))).QueueUrls ?? [];
  } finally {
    sqs.destroy();
  }
}

describe.each(['kafka', 'rabbitmq', 'sqs'] as const)('ferry dlq on %s (spawned)', (broker) => {
  const { options, idleMs } = SETTINGS[broker];
  const common = ['--idle-ms', String(idleMs), '--options', JSON.stringify(options)];

  it('an unknown dead-letter topic exits 1 naming it, and creates nothing on the broker', async () => {
    const url = brokerUrl(broker);
    const dlq = `${uniqueName(`cli-nodlq-${broker}`)}.dlq`;
    for (const args of [['dlq', 'list'], ['dlq', 'show'], ['dlq', 'redrive'], ['dlq', 'purge', '--yes'], ['redrive']]) {
      const [command, ...rest] = args;
      const head = command === 'dlq' ? [command, rest.shift()!] : [command!];
      const run = await ferry([...head, url, dlq, ...rest, ...common]);
      expect(run.code, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(1);
      expect(run.stderr).toContain('FERRY_NOT_FOUND');
      expect(run.stderr).toContain(`\`${dlq}\``);
      expect(run.stdout).not.toMatch(/redriven 0/);
    }
    expect(await leftovers(broker, dlq)).toEqual([]);
  }, 600_000);

  it('lists without consuming, shows one in full, redrives by filter (dry run first), purges with --yes', async () => {
    const url = brokerUrl(broker);
    const topic = uniqueName(`cli-dlq-${broker}`);
    const dlq = `${topic}.dlq`;
    const { undecodableId } = await seedDeadLetters(url, options, topic);
    const list = async () => json<Listed>(await ferry(['dlq', 'list', url, dlq, '--json', ...common]));

    // list twice: the same four, grouped by reason in the text form.
    const first = await list();
    expect(first.count).toBe(4);
    expect((await list()).deadLetters.map((d) => d.id).sort()).toEqual(first.deadLetters.map((d) => d.id).sort());
    const text = await ferry(['dlq', 'list', url, dlq, ...common]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^\s+2 {2}handler: out of stock$/m);
    expect(text.stdout).toMatch(/^\s+1 {2}handler: printer on fire$/m);
    expect(text.stdout).toMatch(/^\s+1 {2}decode: /m);
    expect(text.stdout).toMatch(/^\s+3 {2}order\.placed$/m);
    expect(text.stdout).toMatch(new RegExp(`^\\s+4  ${topic}$`, 'm'));

    // show: the undecodable one as base64, a handler failure with its stack.
    const bytes = await ferry(['dlq', 'show', url, dlq, '--id', undecodableId, ...common]);
    expect(bytes.code, bytes.stderr).toBe(0);
    expect(bytes.stdout).toContain(`payload (${UNDECODABLE.byteLength} bytes, base64):\n  ${Buffer.from(UNDECODABLE).toString('base64')}`);
    expect(bytes.stdout).toMatch(/kind {12}decode/);
    const handlerId = first.deadLetters.find((d) => d.reason === 'out of stock')!.id;
    const shown = json<{ stack: string; originalTopic: string; attempts: number; payload: string }>(await ferry(['dlq', 'show', url, dlq, '--id', handlerId, '--json', ...common]));
    expect(shown.stack).toContain('Error: out of stock');
    expect(shown.originalTopic).toBe(topic);
    expect(shown.attempts).toBe(1);
    expect(JSON.parse(shown.payload)).toHaveProperty('n');

    // Dry run and a filter nothing matches change nothing.
    const dry = await ferry(['dlq', 'redrive', url, dlq, '--reason', 'stock', '--dry-run', ...common]);
    expect(dry.stdout.trim()).toBe(`dry run: would redrive 2, leave 2, in ${dlq}; nothing changed`);
    const old = await ferry(['dlq', 'redrive', url, dlq, '--older-than', '1h', ...common]);
    expect(old.stdout.trim()).toBe(`redriven 0, left 4, from ${dlq}`);
    expect((await list()).count).toBe(4);

    // Redrive the two "out of stock" orders: the invoice and the undecodable bytes stay.
    const moved = await ferry(['dlq', 'redrive', url, dlq, '--reason', 'stock', '--type', 'order.placed', ...common]);
    expect(moved.stdout.trim()).toBe(`redriven 2, left 2, from ${dlq}`);
    expect(moved.stdout + moved.stderr).not.toContain('\r'); // piped: no in-place progress line
    expect((await list()).deadLetters.map((d) => d.id).sort()).toEqual([undecodableId, first.deadLetters.find((d) => d.type === 'invoice.sent')!.id].sort());

    // Purge: refused without --yes when not on a terminal, then done.
    const refused = await ferry(['dlq', 'purge', url, dlq, ...common]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect((await list()).count).toBe(2);
    const purged = await ferry(['dlq', 'purge', url, dlq, '--yes', ...common]);
    expect(purged.stdout.trim()).toBe(`purged 2, left 0, from ${dlq}`);
    expect((await list()).count).toBe(0);

    // Reading the dead-letter topic declared no dead-letter topic of its own.
    expect((await leftovers(broker, dlq)).filter((n) => n.includes(`${dlq}.dlq`))).toEqual([]);
  }, 900_000);
});

describe('ferry dlq on memory (spawned, seeded in its process)', () => {
  it('lists and shows the dead letters; an unknown topic exits 1', async () => {
    const topic = uniqueName('cli-dlq-memory');
    const env = { FERRY_SEED_TOPIC: topic };
    const preload = './memory-preload.ts';
    const listed = await ferry(['dlq', 'list', 'memory://cli-dlq', `${topic}.dlq`, '--json', '--idle-ms', '200'], { preload, env });
    expect(json<Listed>(listed).count).toBe(4);
    const shown = await ferry(['dlq', 'show', 'memory://cli-dlq', `${topic}.dlq`, '--id', `bytes-${topic}`, '--idle-ms', '200'], { preload, env });
    expect(shown.stdout).toContain(Buffer.from(UNDECODABLE).toString('base64'));
    const dry = await ferry(['dlq', 'redrive', 'memory://cli-dlq', `${topic}.dlq`, '--type', 'invoice.sent', '--dry-run', '--idle-ms', '200'], { preload, env });
    expect(dry.stdout.trim()).toBe(`dry run: would redrive 1, leave 3, in ${topic}.dlq; nothing changed`);
    const unknown = await ferry(['dlq', 'list', 'memory://cli-dlq', 'nothing.dlq', '--idle-ms', '200']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('FERRY_NOT_FOUND');
  }, 300_000);
});

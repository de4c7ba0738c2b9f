import { spawnSync } from 'node:child_process';
import amqp from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { endpointsFromEnv, uniqueName } from '../harness/index.ts';
import { ferry, ferryUntil, urls } from './run-cli.ts';

interface Line {
  id: string;
  type: string;
  key?: string;
  headers: Record<string, string>;
  payload: unknown;
}

/** tail started, then publish: the published message is the line tail prints, and tail exits at --limit. */
async function tailSeesPublish(url: string, topic: string, groupsFlag: string[]): Promise<{ line: Line; stderr: string }> {
  // The topic must exist to be tailed: a first publish makes it (and, with --groups, a group that keeps it).
  const first = await ferry(['publish', url, topic, '--json', '{"n":0}', ...groupsFlag]);
  expect(first.code, first.all).toBe(0);
  const tail = await ferryUntil(['tail', url, topic, '--json', '--limit', '1'], /tailing /);
  const published = await ferry(['publish', url, topic, '--json', '{"n":1}', '--key', 'k-1', '--header', 'origin=cli-test', '--type', 'cli.test']);
  expect(published.code, published.all).toBe(0);
  const id = /published (\S+) to/.exec(published.stdout)![1];
  const ran = await tail.done;
  expect(ran.code, ran.all).toBe(0);
  const lines = ran.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ id, type: 'cli.test', key: 'k-1', headers: { origin: 'cli-test' }, payload: { n: 1 } });
  return { line: lines[0]!, stderr: ran.stderr };
}

describe('ferry tail and publish', () => {
  it('kafka: tail prints what is published after it started; no group has an offset committed on the topic', async () => {
    const topic = uniqueName('cli-tail');
    const { stderr } = await tailSeesPublish(urls.kafka(), topic, []);
    const group = /\(group (ferry-tail-\w+), which commits nothing\)/.exec(stderr)?.[1];
    expect(group, stderr).toBeDefined();
    const kafka = new Kafka({ clientId: 'cli-test', brokers: endpointsFromEnv().kafka.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.listGroups();
      const committed: string[] = [];
      for (const { groupId } of groups) {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        if (offsets?.partitions.some((p) => Number(p.offset) >= 0)) committed.push(groupId);
      }
      expect(committed).toEqual([]);
      expect(groups.map((g) => g.groupId)).not.toContain(group);
    } finally {
      await admin.disconnect();
    }
  });

  it('rabbitmq: tail takes nothing from the group queue and leaves no queue behind', async () => {
    const topic = uniqueName('cli-tail');
    const url = urls.rabbitmq();
    await tailSeesPublish(url, topic, ['--groups', 'billing']);
    // After tail exited, the exchange is bound to the group's queue only: tail's queue went with it.
    const bindings = spawnSync('rabbitmqctl', ['list_bindings', 'source_name', 'destination_name', '-q'], { encoding: 'utf8', timeout: 60_000 });
    if (bindings.status === 0) expect(bindings.stdout.split('\n').filter((l) => l.startsWith(`${topic}\t`))).toEqual([`${topic}\t${topic}.billing`]);
    const connection = await amqp.connect(url);
    try {
      const channel = await connection.createChannel();
      // Both messages are still there for the group: the tail had a copy of its own.
      expect((await channel.checkQueue(`${topic}.billing`)).messageCount).toBe(2);
      await channel.deleteQueue(`${topic}.billing`);
      await channel.deleteExchange(topic);
    } finally {
      await connection.close();
    }
  });

  it('sqs and memory: tail refuses with the reason, exit 2', async () => {
    const sqs = await ferry(['tail', urls.sqs(), 'orders']);
    expect(sqs.code).toBe(2);
    expect(sqs.stderr).toMatch(/refuses sqs:\/\/ URLs: .*takes the message from the consumers/);
    const memory = await ferry(['tail', urls.memory(), 'orders']);
    expect(memory.code).toBe(2);
    expect(memory.stderr).toMatch(/lives inside one process/);
  });

  it('publishes JSON lines from stdin, a --file, and refuses bad JSON naming the line (memory, sqs)', async () => {
    const lines = await ferry(['publish', urls.memory(), 'orders'], { input: '{"n":1}\n\n{"n":2}\n{"n":3}\n' });
    expect(lines.code, lines.all).toBe(0);
    expect(lines.stdout).toMatch(/^published 3 \(/m);
    const bad = await ferry(['publish', urls.memory(), 'orders'], { input: '{"n":1}\n{oops\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/stdin line 2 is not JSON/);
    const topic = uniqueName('cli-pub');
    const sqs = await ferry(['publish', urls.sqs(), topic, '--file', 'package.json']);
    expect(sqs.code, sqs.all).toBe(0);
    expect(sqs.stdout).toMatch(/^published \S+ to cli-pub/);
    expect(sqs.all).not.toMatch(/secret.*@/i);
  });
});

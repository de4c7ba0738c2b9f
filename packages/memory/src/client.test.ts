// Core's consume loop on this transport: retry, dead letter and redrive end to end.
import { createClient, defineMessage, HEADERS, SchemaError, type Client, type OutgoingMessage, type Transport } from '@ferry/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryTransport } from './transport.ts';
import { freshBroker, until } from './test-support.ts';

const clients: Client[] = [];
async function client(broker: string): Promise<Client> {
  const c = await createClient(new MemoryTransport({ broker }));
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

const Task = defineMessage('task.run', z.object({ n: z.number(), poison: z.boolean() }), { topic: 'tasks' });

describe('core on the memory transport', () => {
  it('retries, dead-letters a poison message after its attempts, and redrives it', async () => {
    const broker = freshBroker();
    const attempts = new Map<number, number[]>();
    const done: number[] = [];
    const worker = await client(broker);
    const consumer = worker
      .consumer({ group: 'workers', concurrency: 2, retry: { attempts: 3, initialDelayMs: 5, maxDelayMs: 20, jitter: 0 } })
      .handle(Task, async (task, ctx) => {
        attempts.set(task.n, [...(attempts.get(task.n) ?? []), ctx.attempt]);
        if (task.poison) throw new Error(`task ${task.n} is poison`);
        if (task.n === 2 && ctx.attempt === 1) throw new Error('flaky once');
        done.push(task.n);
      });
    await consumer.start();
    const producer = (await client(broker)).producer();
    for (const n of [1, 2, 3, 4]) await producer.publish(Task, { n, poison: n === 3 }, { key: `k${n % 2}` });
    await until(() => done.length === 3 && (attempts.get(3)?.length ?? 0) === 3);
    expect([...done].sort()).toEqual([1, 2, 4]);
    expect(attempts.get(2)).toEqual([1, 2]);
    expect(attempts.get(3)).toEqual([1, 2, 3]);

    // The dead letter waits in tasks.dlq with the reason until someone reads it.
    const DeadTask = defineMessage(Task.type, Task.schema, { topic: 'tasks.dlq' });
    const dead: Array<Record<string, string>> = [];
    const reader = (await client(broker)).consumer({ group: 'ferry-dead-letters', deadLetter: false }).handle(DeadTask, async (_t, ctx) => void dead.push({ ...ctx.envelope.headers }));
    await reader.start();
    await until(() => dead.length === 1);
    await reader.close();
    expect(dead[0]![HEADERS.deadLetterReason]).toBe('task 3 is poison');
    expect(dead[0]![HEADERS.deadLetterAttempts]).toBe('3');
    expect(dead[0]![HEADERS.originalTopic]).toBe('tasks');

    // The reader (group DEAD_LETTER_GROUP) acked it, so a redrive finds nothing left.
    const redriven = await (await client(broker)).redrive({ deadLetterTopic: 'tasks.dlq', idleMs: 100 });
    expect(redriven).toEqual({ redriven: 0, skipped: 0 });
  });

  it('redrive moves an unread dead letter back to its topic as a first attempt', async () => {
    const broker = freshBroker();
    const worker = await client(broker);
    let poisoned = true;
    const seen: Array<[number, number]> = [];
    await worker
      .consumer({ group: 'workers', retry: { attempts: 2, initialDelayMs: 1, jitter: 0 } })
      .handle(Task, async (task, ctx) => {
        seen.push([task.n, ctx.attempt]);
        if (poisoned) throw new Error('downstream broken');
      })
      .start();
    await (await client(broker)).producer().publish(Task, { n: 7, poison: false });
    await until(() => seen.length === 2);
    await new Promise((r) => setTimeout(r, 20));
    poisoned = false;
    // What the redrive sends, seen at the transport.
    const sent: OutgoingMessage[] = [];
    const inner = new MemoryTransport({ broker });
    const recording: Transport = { name: inner.name, capabilities: inner.capabilities, subscribe: (s, d) => inner.subscribe(s, d), close: () => inner.close(), send: (m) => (sent.push(...m), inner.send(m)) };
    const redriver = await createClient(recording);
    clients.push(redriver);
    const result = await redriver.redrive({ deadLetterTopic: 'tasks.dlq', idleMs: 100 });
    expect(result).toEqual({ redriven: 1, skipped: 0 });
    await until(() => seen.length === 3);
    expect(seen).toEqual([
      [7, 1],
      [7, 2],
      [7, 1],
    ]);
    // A redrive is a new send of a used id: its deduplication id names this dead letter.
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers[HEADERS.deadLetterReason]).toBeUndefined();
    expect(sent[0]!.deduplicationId).toMatch(new RegExp(`^${sent[0]!.id}\\|redrive\\|\\d{4}-\\d\\d-\\d\\dT`));
  });

  it('a schema with an async refinement is checked at publish (refused with SchemaError, nothing sent) and on receive', async () => {
    const broker = freshBroker();
    const reserved = new Set(['root']);
    const Signup = defineMessage('user.signup', z.object({ name: z.string().refine(async (name) => !reserved.has(name), 'name is reserved') }), { topic: 'signups' });
    const app = await client(broker);
    const seen: string[] = [];
    await app.consumer({ group: 'g' }).handle(Signup, (user) => void seen.push(user.name)).start();
    const producer = app.producer();
    const refused = await producer.publish(Signup, { name: 'root' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SchemaError);
    expect((refused as SchemaError).issues).toEqual([expect.objectContaining({ path: 'name', message: 'name is reserved' })]);
    await expect(producer.publishBatch([{ message: Signup, payload: { name: 'ann' } }, { message: Signup, payload: { name: 'root' } }])).rejects.toBeInstanceOf(SchemaError);
    expect(await producer.publish(Signup, { name: 'bob' })).toEqual(expect.any(String));
    await until(() => seen.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    // Neither the refused publish nor the refused batch (not even its valid first entry) was sent.
    expect(seen).toEqual(['bob']);
  });
});


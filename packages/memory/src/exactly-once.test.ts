// Core's exactly-once step on this transport: the cases a user found broken.
import { createClient, defineMessage, MemoryIdempotencyStore, type Capabilities, type Client } from '@ferry/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryTransport } from './transport.ts';
import { freshBroker, until } from './test-support.ts';

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 1000 })));
});

const Job = defineMessage('job.run', z.object({ n: z.number() }), { topic: 'jobs' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('exactly-once on the memory transport', () => {
  it('a handler slower than handlerTimeoutMs has one effect: its retries wait for it instead of running beside it', async () => {
    const broker = freshBroker();
    const client = await createClient(new MemoryTransport({ broker }));
    clients.push(client);
    let effects = 0;
    let attempts = 0;
    await client
      .consumer({ group: 'slow', delivery: 'exactly-once', handlerTimeoutMs: 100, retry: { attempts: 5, initialDelayMs: 10, maxDelayMs: 50, jitter: 0 } })
      .handle(Job, async () => {
        attempts++;
        await sleep(250);
        effects++;
      })
      .start();
    await client.producer().publish(Job, { n: 1 });
    await until(() => effects >= 1, 5000);
    await sleep(800);
    expect(effects).toBe(1);
    expect(attempts).toBe(1);
  });

  it('a handler that keeps crashing its consumer is dead-lettered after maxClaims claims', async () => {
    const broker = freshBroker();
    const store = new MemoryIdempotencyStore(); // shared: the "processes" below share a database
    const dead: string[] = [];
    const watcher = await createClient(new MemoryTransport({ broker }));
    clients.push(watcher);
    const DeadJob = defineMessage(Job.type, Job.schema, { topic: 'jobs.dlq' });
    await watcher.consumer({ group: 'ferry-dead-letters', deadLetter: false }).handle(DeadJob, (_job, ctx) => void dead.push(ctx.envelope.headers['ferry-dead-letter-kind'] ?? '')).start();
    const options = { group: 'crashy', delivery: 'exactly-once' as const, idempotency: { store, leaseMs: 50, maxClaims: 3 } };
    await (await createClient(new MemoryTransport({ broker }))).producer().publish(Job, { n: 1 }, { id: 'poison-1' });
    let claims = 0;
    // Each "process" takes the message and dies in the handler (closed with no grace, its lease left to run out).
    for (let i = 0; i < 4 && dead.length === 0; i++) {
      const proc = await createClient(new MemoryTransport({ broker }));
      let took = false;
      await proc.consumer(options).handle(Job, () => {
        took = true;
        claims++;
        return new Promise<void>(() => undefined);
      }).start();
      await until(() => took || dead.length > 0, 5000);
      await proc.close({ timeoutMs: 0 });
      await sleep(80);
    }
    await until(() => dead.length === 1, 5000);
    expect(claims).toBe(3);
    expect(dead).toEqual(['crash-loop']);
  });
});

/**
 * The memory transport with Kafka's kind of `transact`: the work runs, then the commit fails once
 * per message id (a rebalance took the partition between the handler and the commit).
 */
class CommitFailsOnce extends MemoryTransport {
  private readonly failed = new Set<string>();
  override readonly capabilities: Capabilities = { ...new MemoryTransport().capabilities, transactions: true };
  override subscribe(spec: Parameters<MemoryTransport['subscribe']>[0], sink: Parameters<MemoryTransport['subscribe']>[1]) {
    return super.subscribe(spec, {
      get room() {
        return sink.room;
      },
      get stopped() {
        return sink.stopped;
      },
      whenRoom: () => sink.whenRoom(),
      fail: (error) => sink.fail(error),
      deliver: (delivery) =>
        sink.deliver({
          envelope: delivery.envelope,
          attempt: delivery.attempt,
          coordinates: delivery.coordinates,
          ack: () => delivery.ack(),
          nack: (ms) => delivery.nack(ms),
          ...(delivery.release ? { release: () => delivery.release!() } : {}),
          transact: async (work) => {
            await work(async () => undefined); // outputs are dropped with the aborted transaction
            if (!this.failed.has(delivery.envelope.id)) {
              this.failed.add(delivery.envelope.id);
              throw new Error('commit failed: the partition was revoked');
            }
            await delivery.ack();
          },
        }),
    });
  }
}

describe('exactly-once when a transaction fails to commit after the handler ran', () => {
  it('with nothing published in it, the effect is recorded: the redelivery is a duplicate, not a second effect', async () => {
    const client = await createClient(new CommitFailsOnce({ broker: freshBroker() }));
    clients.push(client);
    let effects = 0;
    let duplicates = 0;
    await client
      .consumer({ group: 'tx', delivery: 'exactly-once', idempotency: { leaseMs: 100 }, retry: { attempts: 5, initialDelayMs: 10, maxDelayMs: 50, jitter: 0 }, hooks: { onDuplicate: () => void duplicates++ } })
      .handle(Job, () => void effects++)
      .start();
    await client.producer().publish(Job, { n: 1 });
    await until(() => duplicates === 1, 5000);
    await sleep(300); // past the lease: a claim left behind would have let it run again
    expect(effects).toBe(1);
  });

  it('with outputs published in it, they were aborted: the message runs again', async () => {
    const client = await createClient(new CommitFailsOnce({ broker: freshBroker() }));
    clients.push(client);
    const Out = defineMessage('job.out', z.object({ n: z.number() }), { topic: 'jobs-out' });
    let attempts = 0;
    await client
      .consumer({ group: 'tx', delivery: 'exactly-once', idempotency: { leaseMs: 100 }, retry: { attempts: 5, initialDelayMs: 10, maxDelayMs: 50, jitter: 0 } })
      .handle(Job, async (job, ctx) => {
        attempts++;
        await ctx.publish(Out, { n: job.n });
      })
      .start();
    await client.producer().publish(Job, { n: 1 });
    await until(() => attempts === 2, 5000);
    await sleep(300);
    expect(attempts).toBe(2);
  });
});

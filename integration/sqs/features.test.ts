/**
 * SQS-specific behaviour on the real server (ElasticMQ from the harness): heartbeat, FIFO order
 * and dedup, partial batch failure, delay, the redrive safety net, one group per queue, existing
 * queues only.
 */
import { GetQueueAttributesCommand, ListQueueTagsCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CapabilityError, createClient, DEAD_LETTER_GROUP, defineMessage, type Envelope, type OutgoingMessage } from '@ferry/core';
import { guardTransport, type Delivery, type SubscriptionSpec } from '@ferry/core/spi';
import { encode, GROUP_TAG, Publisher, QueueError } from '@ferry/sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { spec as baseSpec, startTcpProxy, subscribe } from '../harness/index.ts';
import { cleanup, rawClient, sleep, sqs, sqsEndpoint, topicName, waitFor } from './helpers.ts';

const Item = (topic: string) => defineMessage('sqs.item', z.object({ n: z.number(), tag: z.string().optional() }), { topic });
const spec = (topic: string, group: string, extra: Partial<SubscriptionSpec> = {}): SubscriptionSpec => baseSpec(topic, group, { handlerTimeoutMs: 60_000, ...extra });
const raw = (topic: string, id: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({ id, type: 'sqs.raw', topic, headers: {}, payload: Buffer.from(`"${id}"`), timestamp: Date.now(), ...extra });

let admin: SQSClient;
beforeAll(() => {
  admin = rawClient();
});
afterAll(async () => {
  admin.destroy();
  await cleanup('sqs-');
});

describe('sqs on ElasticMQ', () => {
  it('heartbeat: a handler slower than the visibility timeout is not handed to another consumer', async () => {
    const topic = topicName('heartbeat');
    const message = Item(topic);
    const options = { visibilityTimeoutSeconds: 2 };
    const handled: Array<{ consumer: string; attempt: number }> = [];
    const [a, b, producer] = await Promise.all([createClient(sqs(options)), createClient(sqs(options)), createClient(sqs(options))]);
    try {
      // Consumer A takes the message and works 6 s: three visibility timeouts.
      await a.consumer({ group: 'g', concurrency: 1 }).handle(message, async (_item, ctx) => {
        handled.push({ consumer: 'a', attempt: ctx.attempt });
        await sleep(6_000);
      }).start();
      await producer.producer().publish(message, { n: 1 });
      await waitFor(() => handled.length === 1, 10_000, 'consumer A to take the message');
      // Consumer B of the same group polls all the while.
      await b.consumer({ group: 'g', concurrency: 4 }).handle(message, (_item, ctx) => void handled.push({ consumer: 'b', attempt: ctx.attempt })).start();
      await sleep(8_000);
      expect(handled).toEqual([{ consumer: 'a', attempt: 1 }]);
      const { Attributes } = await admin.send(new GetQueueAttributesCommand({ QueueUrl: (await sqs().queueOf(topic)).url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      expect(Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    } finally {
      await Promise.all([a.close({ timeoutMs: 0 }), b.close({ timeoutMs: 0 }), producer.close()]);
    }
  }, 40_000);

  it('FIFO: per-key order across three concurrent consumers, and a duplicate publish (same id) delivered once', async () => {
    const topic = topicName('fifo');
    const message = Item(topic);
    const options = { fifoTopics: [topic] };
    const KEYS = 20;
    const PER_KEY = 30;
    const perKey = new Map<string, number[]>();
    let active = 0;
    let maxActive = 0;
    const clients = await Promise.all([0, 1, 2, 3].map(() => createClient(sqs(options))));
    try {
      for (const client of clients.slice(0, 3)) {
        await client.consumer({ group: 'g', concurrency: 8, orderedByKey: true }).handle(message, async (item, ctx) => {
          active++;
          maxActive = Math.max(maxActive, active);
          await sleep(Math.random() * 5);
          perKey.set(ctx.envelope.key!, [...(perKey.get(ctx.envelope.key!) ?? []), item.n]);
          active--;
        }).start();
      }
      const producer = clients[3]!.producer();
      await Promise.all(
        Array.from({ length: KEYS }, async (_, k) => {
          for (let n = 0; n < PER_KEY; n++) await producer.publish(message, { n }, { key: `customer-${k}` });
        }),
      );
      // The same message id twice: SQS's FIFO deduplication drops the second send.
      await producer.publish(message, { n: 0, tag: 'dup' }, { key: 'dup', id: `dup-${topic}` });
      await producer.publish(message, { n: 0, tag: 'dup' }, { key: 'dup', id: `dup-${topic}` });
      const total = () => [...perKey.values()].reduce((s, l) => s + l.length, 0);
      await waitFor(() => total() >= KEYS * PER_KEY + 1, 30_000, `${KEYS * PER_KEY + 1} messages (${total()})`);
      await sleep(1_500);
      for (let k = 0; k < KEYS; k++) expect(perKey.get(`customer-${k}`), `customer-${k}`).toEqual(Array.from({ length: PER_KEY }, (_, n) => n));
      expect(perKey.get('dup')).toEqual([0]);
      expect(total()).toBe(KEYS * PER_KEY + 1);
      expect(maxActive).toBeGreaterThan(1);
      const queue = await sqs(options).queueOf(topic);
      expect(queue.name.endsWith('.fifo')).toBe(true);
      const { Attributes } = await admin.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['FifoQueue'] }));
      expect(Attributes?.FifoQueue).toBe('true');
    } finally {
      await Promise.all(clients.map((c) => c.close({ timeoutMs: 0 })));
    }
  }, 60_000);

  it('FIFO: a poison message is dead-lettered and redriven back within the deduplication window, twice, and handled', async () => {
    const topic = topicName('fifo-redrive');
    const message = Item(topic);
    const options = { fifoTopics: [topic] };
    const client = await createClient(sqs(options));
    let failures = 2;
    let deadLettered = 0;
    const handled: number[] = [];
    try {
      await client.consumer({ group: 'g', retry: { attempts: 1 }, hooks: { onDeadLetter: () => void deadLettered++ } }).handle(message, (item) => {
        if (failures-- > 0) throw new Error('downstream down');
        handled.push(item.n);
      }).start();
      const id = await client.producer().publish(message, { n: 1 }, { key: 'k' });
      await waitFor(() => deadLettered === 1, 15_000, 'the first dead letter');
      // The redriven message fails once more and is dead-lettered again, then redriven again, all
      // within SQS's 5-minute deduplication window and all with the same message id. A redrive
      // leaves what is dead-lettered again during it for the next one (so it always ends).
      expect(await client.redrive({ deadLetterTopic: `${topic}.dlq`, idleMs: 2_000 })).toMatchObject({ redriven: 1 });
      await waitFor(() => deadLettered === 2, 15_000, 'the second dead letter');
      expect(await client.redrive({ deadLetterTopic: `${topic}.dlq`, idleMs: 2_000 })).toMatchObject({ redriven: 1 });
      await waitFor(() => handled.length === 1, 15_000, 'the redriven message handled');
      await sleep(1_000);
      expect(handled).toEqual([1]);
      expect(deadLettered).toBe(2);
      expect(id).toBeTruthy();
    } finally {
      await client.close({ timeoutMs: 0 });
    }
  }, 60_000);

  it('a batch entry the server refuses fails alone; the rest of the batch lands exactly once', async () => {
    const topic = topicName('partial');
    const transport = sqs();
    const queue = await transport.queueOf(topic);
    const sqsClient = rawClient();
    const publisher = new Publisher(transport.config, Publisher.sendingWith(sqsClient));
    try {
      const entries = Array.from({ length: 10 }, (_, i) => {
        const message = raw(topic, `m${i}`);
        const encoded = encode(message);
        // Entry 4 carries a body SQS refuses (a control character), as a foreign or buggy encoder might.
        return { message, encoded: i === 4 ? { ...encoded, body: 'bad \u0001 body' } : encoded };
      });
      const results = await Promise.allSettled(entries.map((e) => publisher.publish(queue, e)));
      expect(results.map((r) => r.status)).toEqual(entries.map((_, i) => (i === 4 ? 'rejected' : 'fulfilled')));
      expect(String((results[4] as PromiseRejectedResult).reason)).toMatch(/m4.*InvalidMessageContents|m4.*Invalid/);
      // Exactly the nine accepted ones are in the queue, once each.
      const seen: string[] = [];
      for (let i = 0; i < 5 && seen.length < 9; i++) {
        const { Messages = [] } = await sqsClient.send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'], VisibilityTimeout: 60 }));
        for (const m of Messages) seen.push(JSON.parse(m.MessageAttributes!.ferry!.StringValue!).i as string);
      }
      const { Messages: extra = [] } = await sqsClient.send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      expect(extra).toEqual([]);
      expect(seen.sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm5', 'm6', 'm7', 'm8', 'm9']);
    } finally {
      sqsClient.destroy();
      await transport.close();
    }
  });

  it('resent batches are not duplicated: FIFO publishes through connections cut mid-stream arrive exactly once', async () => {
    const topic = topicName('resend');
    const message = Item(topic);
    const options = { fifoTopics: [topic] };
    const broker = new URL(sqsEndpoint().endpoint);
    const proxy = await startTcpProxy({ targetHost: broker.hostname, targetPort: Number(broker.port) });
    const received = new Map<number, number>();
    const consumer = await createClient(sqs(options));
    // No SDK retries: every cut request surfaces, and is resent by the application with the same ids.
    const producer = await createClient(sqs({ ...options, maxAttempts: 1 }, `http://${proxy.host}:${proxy.port}`));
    try {
      await consumer.consumer({ group: 'g', concurrency: 8, orderedByKey: false }).handle(message, (item) => void received.set(item.n, (received.get(item.n) ?? 0) + 1)).start();
      const COUNT = 300;
      let retries = 0;
      proxy.setDelay(15); // requests stay in flight long enough to be cut
      let cuts = 0;
      // Cuts for 4 s (40 of them), then none: on a loaded machine a request can take longer than
      // the 100 ms between cuts, and one publish then failed every try until its retries ran out.
      const CUTS = 40;
      const cutter = setInterval(() => {
        if (cuts >= CUTS) return clearInterval(cutter);
        proxy.cutAll();
        cuts++;
      }, 100);
      // 30 publishers at once, so requests are cut while batches are in flight; an application
      // retries a failed publish with the same id, as the SDK retries a cut request.
      await Promise.all(
        Array.from({ length: 30 }, async (_, p) => {
          for (let n = p; n < COUNT; n += 30) {
            for (let tries = 0; ; tries++) {
              try {
                await producer.producer().publish(message, { n }, { id: `${topic}-${n}`, key: `k${n % 7}` });
                break;
              } catch (error) {
                retries++;
                if (tries > 50 && cuts >= CUTS) throw error;
                await sleep(50);
              }
            }
          }
        }),
      );
      clearInterval(cutter);
      await waitFor(() => received.size >= COUNT, 20_000, `${COUNT} messages (${received.size})`);
      await sleep(1_500);
      expect(received.size).toBe(COUNT);
      expect([...received.entries()].filter(([, times]) => times !== 1)).toEqual([]);
      expect(cuts).toBeGreaterThan(3);
      expect(retries, 'cuts hit requests in flight').toBeGreaterThan(0);
      console.log(`resend test: ${cuts} cuts, ${retries} publishes retried by the application`);
    } finally {
      await Promise.all([consumer.close({ timeoutMs: 0 }), producer.close()]);
      await proxy.close();
    }
  }, 60_000);

  it('delay: a delayed message arrives no earlier than delayMs, after a later undelayed one; over 15 minutes is refused', async () => {
    const topic = topicName('delay');
    const transport = sqs();
    const arrivals = new Map<string, number>();
    const subscription = await subscribe(transport, spec(topic, 'g'), (d: Delivery) => {
      arrivals.set(d.envelope.id, Date.now());
      void d.ack();
    });
    try {
      const sentAt = Date.now();
      await transport.send([raw(topic, 'late', { delayMs: 2_500 })]);
      await transport.send([raw(topic, 'now')]);
      await waitFor(() => arrivals.has('late'), 10_000, 'the delayed message');
      expect(arrivals.get('late')! - sentAt).toBeGreaterThanOrEqual(2_500);
      expect(arrivals.get('now')!).toBeLessThan(arrivals.get('late')!);
      expect(arrivals.get('now')! - sentAt).toBeLessThan(2_500);
      await expect(guardTransport(sqs()).send([raw(topic, 'too-late', { delayMs: 900_001 })])).rejects.toThrow(CapabilityError);
    } finally {
      await subscription.close();
      await transport.close();
    }
  });

  it('the redrive policy catches a message whose consumer crashed maxReceiveCount times', async () => {
    const topic = topicName('redrive');
    const options = { maxReceiveCount: 2 };
    const message = Item(topic);
    const producer = await createClient(sqs(options));
    let takes = 0;
    try {
      const id = await producer.producer().publish(message, { n: 7 }, { headers: { 'x-origin': 'kept' } });
      // Each consumer takes the message and "crashes": its handler never returns and it is
      // closed without settling, so core never gets to retry or dead-letter it.
      for (let crash = 1; crash <= 2; crash++) {
        const client = await createClient(sqs(options));
        await client.consumer({ group: 'g' }).handle(message, () => {
          takes++;
          return new Promise<void>(() => undefined);
        }).start();
        await waitFor(() => takes === crash, 10_000, `crash ${crash}`);
        await client.close({ timeoutMs: 0 });
      }
      // The next receive moves it to the dead-letter queue instead of delivering it a third time.
      const survivor = await createClient(sqs(options));
      await survivor.consumer({ group: 'g' }).handle(message, () => void takes++).start();
      const dead: Envelope[] = [];
      const reader = sqs(options);
      const subscription = await subscribe(reader, spec(`${topic}.dlq`, DEAD_LETTER_GROUP), (d) => {
        dead.push(d.envelope);
        void d.ack();
      });
      await waitFor(() => dead.length >= 1, 15_000, 'the message in the dead-letter queue');
      await sleep(1_500);
      await subscription.close();
      await Promise.all([survivor.close(), reader.close()]);
      expect(takes).toBe(2);
      expect(dead.map((e) => e.id)).toEqual([id]);
      expect(dead[0]!.headers['x-origin']).toBe('kept');
      expect(JSON.parse(Buffer.from(dead[0]!.payload).toString())).toEqual({ n: 7 });
    } finally {
      await producer.close();
    }
  }, 60_000);

  it('one group per queue: a second group is refused across processes, naming SNS; the owner is tagged', async () => {
    const topic = topicName('groups');
    const first = sqs();
    const second = sqs();
    const sub = await subscribe(first, spec(topic, 'billing'), (d) => void d.ack());
    try {
      const error = await subscribe(second, spec(topic, 'audit'), () => undefined).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CapabilityError);
      expect((error as Error).message).toMatch(/fan-out/);
      expect((error as Error).message).toMatch(/SNS/);
      expect((error as Error).message).toContain('billing');
      // Another consumer of the same group competes, as usual.
      await (await subscribe(second, spec(topic, 'billing'), (d) => void d.ack())).close();
      const { Tags } = await admin.send(new ListQueueTagsCommand({ QueueUrl: (await first.queueOf(topic)).url }));
      expect(Tags?.[GROUP_TAG]).toBe('billing');
      const dlq = await admin.send(new ListQueueTagsCommand({ QueueUrl: (await first.queueOf(`${topic}.dlq`)).url }));
      expect(dlq.Tags?.[GROUP_TAG]).toBe(DEAD_LETTER_GROUP);
    } finally {
      await sub.close();
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('createClient selects the transport from an sqs:// URL with credentials, and never shows the secret', async () => {
    const e = sqsEndpoint();
    const url = `sqs://${e.accessKeyId}:${encodeURIComponent('s3cr3t/+key')}@${e.region}?endpoint=${e.endpoint}`;
    const client = await createClient(url, { transport: { waitTimeSeconds: 1 } });
    try {
      expect(client.capabilities.fanOut).toBe(false);
      const topic = topicName('url');
      const message = Item(topic);
      const seen: number[] = [];
      await client.consumer({ group: 'g' }).handle(message, (item) => void seen.push(item.n)).start();
      await client.producer().publish(message, { n: 5 });
      await waitFor(() => seen.length === 1, 10_000, 'the message');
      expect(seen).toEqual([5]);
      const bad = await createClient(url, { transport: { waitTimeSeconds: 99 } }).catch((err: unknown) => err);
      expect(String(bad)).toMatch(/sqs\.waitTimeSeconds/);
      expect(String(bad)).not.toContain('s3cr3t');
    } finally {
      await client.close();
    }
  });

  it("topology 'existing' uses existing queues only and fails clearly when one is missing", async () => {
    const topic = topicName('existing');
    const strict = sqs({ topology: 'existing' });
    try {
      const error = await strict.send([raw(topic, 'x')]).catch((e: unknown) => e);
      expect(String((error as Error).message)).toMatch(/does not exist.*topology/);
      expect((error as Error).cause ?? error).toBeInstanceOf(QueueError);
      await expect(subscribe(strict, spec(topic, 'g'), () => undefined)).rejects.toThrow(QueueError);
      await sqs().queueOf(topic); // someone creates it
      await strict.send([raw(topic, 'y')]);
    } finally {
      await strict.close();
    }
  });

  it('a receive asks for a full batch (10) while another is in flight: fewer requests per message', async () => {
    const topic = topicName('asks');
    const transport = sqs();
    // Every ReceiveMessage's ask, and whether another receive was in flight when it was sent.
    const asks: Array<{ ask: number; concurrent: boolean }> = [];
    let inFlight = 0;
    const client = (transport as unknown as { sqs: SQSClient }).sqs;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'ReceiveMessageCommand') return next(args);
        asks.push({ ask: (args.input as { MaxNumberOfMessages: number }).MaxNumberOfMessages, concurrent: inFlight > 0 });
        inFlight++;
        try {
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      { step: 'initialize', name: 'countReceives' },
    );
    await transport.send(Array.from({ length: 200 }, (_, i) => raw(topic, `m-${i}`)));
    let handled = 0;
    // maxInFlight 25: three pollers, and core's room often below three full batches while handlers run.
    const sub = await subscribe(transport, spec(topic, 'g', { maxInFlight: 25 }), (d) => {
      setTimeout(() => void d.ack().then(() => handled++), 3);
    });
    try {
      await waitFor(() => handled === 200, 30_000, 'all 200 handled');
    } finally {
      await sub.close();
      await transport.close();
    }
    const partialWhileOthers = asks.filter((a) => a.concurrent && a.ask < 10);
    expect(asks.filter((a) => a.concurrent).length).toBeGreaterThan(0);
    expect(partialWhileOthers, `asks: ${asks.map((a) => `${a.ask}${a.concurrent ? '*' : ''}`).join(' ')}`).toEqual([]);
  });

  it('close() aborts the long polls and releases unsettled deliveries for redelivery', async () => {
    const topic = topicName('close');
    const transport = sqs({ waitTimeSeconds: 2 });
    const held: Delivery[] = [];
    const sub = await subscribe(transport, spec(topic, 'g'), (d) => void held.push(d));
    await transport.send([raw(topic, 'held')]);
    await waitFor(() => held.length === 1, 10_000, 'the delivery');
    const t0 = Date.now();
    await sub.close();
    await transport.close();
    expect(Date.now() - t0).toBeLessThan(4_000);
    await held[0]!.ack(); // after release: no throw, no effect
    const next = sqs();
    const again: Delivery[] = [];
    const sub2 = await subscribe(next, spec(topic, 'g'), (d) => {
      again.push(d);
      void d.ack();
    });
    try {
      // At once, or after the long-poll lease (5 s) if an aborted poll still waiting on the server took it (a receive more).
      await waitFor(() => again.length === 1, 12_000, 'the released message');
      expect(again[0]!.envelope.id).toBe('held');
      expect(again[0]!.attempt).toBeGreaterThanOrEqual(2);
    } finally {
      await sub2.close();
      await next.close();
    }
  });
});

// Core's settlement on this transport: a message is never left unsettled holding a slot.
import { createClient, defineMessage, HEADERS, type Client, type Middleware } from '@ferry/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryTransport } from './transport.ts';
import { freshBroker, until } from './test-support.ts';

const clients: Client[] = [];
async function client(broker: string, maxMessageBytes = 4096): Promise<Client> {
  const c = await createClient(new MemoryTransport({ broker, maxMessageBytes }));
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 500 })));
});

const Blob = defineMessage('blob.stored', z.object({ n: z.number(), data: z.string() }), { topic: 'blobs' });
const DeadBlob = defineMessage(Blob.type, z.unknown(), { topic: 'blobs.dlq' });

/** Reads dead letters as they are, before decode: one with its payload left out does not decode. */
async function readDeadLetters(broker: string): Promise<Array<{ headers: Record<string, string>; bytes: number }>> {
  const dead: Array<{ headers: Record<string, string>; bytes: number }> = [];
  const capture: Middleware = () => async (ctx) => void dead.push({ headers: { ...ctx.envelope.headers }, bytes: ctx.envelope.payload.byteLength });
  await (await client(broker))
    .consumer({ group: 'ferry-dead-letters', deadLetter: false, middleware: [{ middleware: capture, before: 'decode' }] })
    .handle(DeadBlob, () => undefined)
    .start();
  return dead;
}

describe('settlement on the memory transport', () => {
  it('a dead letter too large for the transport is shrunk to fit, so the consumer keeps taking messages', async () => {
    const broker = freshBroker();
    const handled: number[] = [];
    // prefetch 2: two stranded messages would have filled it and stopped the consumer.
    await (await client(broker))
      .consumer({ group: 'g', prefetch: 2, retry: { attempts: 1 } })
      .handle(Blob, (blob) => {
        if (blob.data.length > 1000) throw new Error(`too big to handle: ${'x'.repeat(3000)}`);
        handled.push(blob.n);
      })
      .start();
    const dead = await readDeadLetters(broker);
    const producer = (await client(broker)).producer();
    // Near the 4 KiB limit: with a 3 KB reason and a stack, their dead letters would not fit.
    await producer.publish(Blob, { n: 1, data: 'a'.repeat(2500) });
    await producer.publish(Blob, { n: 2, data: 'b'.repeat(2500) });
    for (let n = 3; n <= 7; n++) await producer.publish(Blob, { n, data: 'ok' });
    await until(() => handled.length === 5 && dead.length === 2, 5000);
    expect(handled.sort()).toEqual([3, 4, 5, 6, 7]);
    for (const d of dead) {
      expect(d.headers[HEADERS.deadLetterTruncated]).toBe('headers');
      expect(d.headers[HEADERS.deadLetterReason]).toMatch(/^too big to handle: x+… \(\d+ more characters cut/);
      expect(d.headers[HEADERS.deadLetterStack]).toBeUndefined();
      expect(d.bytes).toBeGreaterThan(2500); // the payload itself fits, so it is kept
    }
  });

  it('a payload that alone fills the limit is dead-lettered without it, with its size and digest', async () => {
    const broker = freshBroker();
    await (await client(broker))
      .consumer({ group: 'g', retry: { attempts: 1 } })
      .handle(Blob, () => {
        throw new Error('no');
      })
      .start();
    const dead = await readDeadLetters(broker);
    await (await client(broker)).producer().publish(Blob, { n: 1, data: 'z'.repeat(4040) });
    await until(() => dead.length === 1, 5000);
    expect(dead[0]!.bytes).toBe(0);
    expect(dead[0]!.headers[HEADERS.deadLetterTruncated]).toBe('payload');
    expect(Number(dead[0]!.headers[HEADERS.deadLetterPayloadBytes])).toBeGreaterThan(4040);
    expect(dead[0]!.headers[HEADERS.deadLetterPayloadSha256]).toMatch(/^[0-9a-f]{64}$/);
    expect(dead[0]!.headers[HEADERS.deadLetterReason]).toBe('no');
  });

  it('a commit step that fails sends the message back instead of acking it; the next attempt succeeds', async () => {
    const broker = freshBroker();
    let commits = 0;
    const attempts: number[] = [];
    // A step whose completion cannot be recorded once (an idempotency store that is down, say).
    const flakyCommit: Middleware = (next) => async (ctx) => {
      await next(ctx);
      ctx.onCommit(async () => {
        if (++commits === 1) throw new Error('store unreachable');
      });
    };
    const errors: string[] = [];
    await (await client(broker))
      .consumer({ group: 'g', middleware: [flakyCommit], hooks: { onError: (e) => void errors.push(String(e)) } })
      .handle(Blob, (_b, ctx) => void attempts.push(ctx.attempt))
      .start();
    await (await client(broker)).producer().publish(Blob, { n: 1, data: '' });
    await until(() => commits === 2, 5000);
    expect(attempts).toEqual([1, 2]);
    expect(errors).toEqual(['Error: store unreachable']);
  });
});

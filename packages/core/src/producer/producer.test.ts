import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ClosedError } from '../errors.ts';
import { defineMessage } from '../message.ts';
import { jsonCodec } from '../codec.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { Transport } from '../spi/transport.ts';
import { Producer } from './producer.ts';
import { PublishPipeline } from './publish-pipeline.ts';

/** A transport whose sends stay open until the test settles them; it only records what was sent. */
function heldTransport() {
  const sends: Array<{ messages: readonly OutgoingMessage[]; settle: (error?: Error) => void }> = [];
  const transport = {
    name: 'held',
    capabilities: { orderingByKey: false, fanOut: true, replay: [], delay: false, priority: false, nativeDeadLetter: false, transactions: false, maxMessageBytes: 1_000_000 },
    send: (messages: readonly OutgoingMessage[]) =>
      new Promise<void>((resolve, reject) => sends.push({ messages, settle: (error) => (error ? reject(error) : resolve()) })),
  } as unknown as Transport;
  return { transport, sends };
}

const Ping = defineMessage('ping', z.object({ n: z.number() }));
const Slow = defineMessage('slow', z.object({ n: z.number().refine(async () => new Promise<boolean>((r) => setTimeout(() => r(true), 30))) }));

describe('Producer', () => {
  it('close waits for every send under way, failed ones too, then refuses new publishes', async () => {
    const { transport, sends } = heldTransport();
    const producer = new Producer(new PublishPipeline(transport, jsonCodec, () => []));
    const first = producer.publish(Ping, { n: 1 });
    const second = producer.publish(Ping, { n: 2 }).catch((e: unknown) => e);
    let closed = false;
    const closing = producer.close().then(() => void (closed = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(false);
    sends[0]!.settle();
    expect(await first).toBe(sends[0]!.messages[0]!.id);
    await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(false);
    sends[1]!.settle(new Error('broker said no'));
    expect(await second).toEqual(new Error('broker said no'));
    await closing;
    expect(closed).toBe(true);
    await expect(producer.publish(Ping, { n: 3 })).rejects.toBeInstanceOf(ClosedError);
    expect(sends).toHaveLength(2);
  });

  it('a publish still validating asynchronously when close starts is refused and never sent', async () => {
    const { transport, sends } = heldTransport();
    const producer = new Producer(new PublishPipeline(transport, jsonCodec, () => []));
    const slow = producer.publish(Slow, { n: 1 });
    await producer.close();
    await expect(slow).rejects.toBeInstanceOf(ClosedError);
    expect(sends).toHaveLength(0);
  });
});

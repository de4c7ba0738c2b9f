import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonCodec } from '../codec.ts';
import { MessageTooLargeError } from '../errors.ts';
import { defineMessage } from '../message.ts';
import type { PublishMiddleware } from '../middleware/types.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { Transport } from '../spi/transport.ts';
import { PublishPipeline } from './publish-pipeline.ts';

function recordingTransport(maxMessageBytes = 1_000) {
  const sent: OutgoingMessage[][] = [];
  const transport = {
    name: 'rec',
    capabilities: { orderingByKey: false, fanOut: true, replay: [], delay: false, priority: false, nativeDeadLetter: false, transactions: false, maxMessageBytes },
    send: async (messages: readonly OutgoingMessage[]) => void sent.push([...messages]),
  } as unknown as Transport;
  return { transport, sent };
}

const Note = defineMessage('note', z.object({ text: z.string() }));
const header = (name: string, value: string): PublishMiddleware => (next) => (messages) => next(messages.map((m) => ({ ...m, headers: { ...m.headers, [name]: value } })));

describe('PublishPipeline', () => {
  it('runs client then own middleware, in order, before the transport', async () => {
    const { transport, sent } = recordingTransport();
    const order: string[] = [];
    const trace = (label: string): PublishMiddleware => (next) => (messages) => {
      order.push(label);
      return next(messages);
    };
    const pipeline = new PublishPipeline(transport, jsonCodec, () => [trace('client'), header('tenant', 'acme')], [trace('own')]);
    await pipeline.send([await pipeline.build(Note, { text: 'hi' }, undefined)]);
    expect(order).toEqual(['client', 'own']);
    expect(sent[0]![0]!.headers.tenant).toBe('acme');
  });

  it('checks the size after the middleware (what it adds counts), and before `send` an entry sees what passed the check', async () => {
    const { transport, sent } = recordingTransport(200);
    const afterCheck: string[] = [];
    const pipeline = new PublishPipeline(transport, jsonCodec, () => [header('big', 'x'.repeat(300)), { middleware: (next) => (m) => (afterCheck.push('seen'), next(m)), before: 'send' }]);
    const built = await pipeline.build(Note, { text: 'hi' }, undefined); // fits before the header is added
    await expect(pipeline.send([built])).rejects.toBeInstanceOf(MessageTooLargeError);
    expect(sent).toHaveLength(0);
    expect(afterCheck).toHaveLength(0);
  });

  it('ends in another terminal for a transaction, through the same middleware', async () => {
    const { transport, sent } = recordingTransport();
    const pipeline = new PublishPipeline(transport, jsonCodec, () => [header('h', '1')]);
    const viaTx: OutgoingMessage[] = [];
    await pipeline.sendVia([await pipeline.build(Note, { text: 'tx' }, undefined)], async (m) => void viaTx.push(...m));
    expect(viaTx[0]!.headers.h).toBe('1');
    expect(sent).toHaveLength(0);
  });

  it('picks up client middleware added later (client.use)', async () => {
    const { transport, sent } = recordingTransport();
    let entries: PublishMiddleware[] = [];
    const pipeline = new PublishPipeline(transport, jsonCodec, () => entries);
    await pipeline.send([await pipeline.build(Note, { text: 'a' }, undefined)]);
    entries = [header('late', 'yes')];
    await pipeline.send([await pipeline.build(Note, { text: 'b' }, undefined)]);
    expect(sent.map((batch) => batch[0]!.headers.late)).toEqual([undefined, 'yes']);
  });
});

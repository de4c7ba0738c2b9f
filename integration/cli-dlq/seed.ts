/**
 * Four dead letters in `<topic>.dlq`, made the way an application makes them: a consumer with one
 * attempt fails two orders (handler error "out of stock") and an invoice (NonRetryableError
 * "printer on fire"), and bytes that are not JSON from a foreign producer fail to decode.
 */
import { createClient, defineMessage, HEADERS, NonRetryableError } from '@ferry/core';
import { z } from 'zod';

export const UNDECODABLE = Uint8Array.of(0x7b, 0x22, 0xff, 0xfe, 0x00);

export async function seedDeadLetters(url: string, transport: Record<string, unknown>, topic: string): Promise<{ undecodableId: string }> {
  const Order = defineMessage('order.placed', z.object({ n: z.number() }), { topic });
  const Invoice = defineMessage('invoice.sent', z.object({ n: z.number() }), { topic });
  const client = await createClient(url, { transport });
  try {
    const consumer = client.consumer({ group: 'workers', retry: { attempts: 1 } });
    consumer.handle(Order, async () => {
      throw new Error('out of stock');
    });
    consumer.handle(Invoice, async () => {
      throw new NonRetryableError('printer on fire');
    });
    await consumer.start();
    const producer = client.producer();
    await producer.publish(Order, { n: 1 }, { key: 'a' });
    await producer.publish(Order, { n: 2 }, { key: 'b' });
    await producer.publish(Invoice, { n: 3 }, { key: 'c' });
    const undecodableId = `bytes-${topic}`;
    await client.transport.send([{ id: undecodableId, type: Order.type, topic, key: 'd', headers: { [HEADERS.contentType]: 'application/json' }, payload: UNDECODABLE, timestamp: Date.now() }]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const found = await client.inspectDeadLetters({ deadLetterTopic: `${topic}.dlq`, idleMs: 1000 }).catch(() => undefined);
      if (found?.deadLetters.length === 4) break;
      if (Date.now() > deadline) throw new Error(`4 dead letters in ${topic}.dlq: found ${found?.deadLetters.length ?? 'no topic'}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await consumer.close();
    return { undecodableId };
  } finally {
    await client.close();
  }
}

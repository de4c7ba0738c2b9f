import { HEADERS, type Envelope } from '@ferry/core';
import { expect } from 'vitest';
import type { CaseGroupFactory } from '../case.ts';
import { readDeadLetters } from '../dead-letters.ts';
import type { CaseEnv } from '../env.ts';
import { orderMessages, sameBytes } from '../messages.ts';
import { sleep, waitFor } from '../wait.ts';

/** Bytes that do not decode and payloads that fail the schema go to the dead letter; the consumer keeps going. */
export const invalidCases: CaseGroupFactory = () => ({
  title: 'invalid payloads',
  cases: [
    {
      id: 'undecodable',
      name: 'undecodable bytes (invalid UTF-8, invalid JSON) and a schema failure are dead-lettered with kind decode/schema and the zod issues, and a valid message after them is handled',
      run: undecodable,
    },
  ],
});

async function undecodable(env: CaseEnv): Promise<void> {
  const topic = env.topic();
  const { strict, loose } = orderMessages(topic);
  const group = env.group();
  const handled: Array<{ id: string; orderId: string }> = [];
  let handlerCalls = 0;
  await env.consume(await env.client(), { group, retry: env.retry(3, 10) }, strict, (order, ctx) => {
    handlerCalls++;
    handled.push({ id: ctx.envelope.id, orderId: order.orderId });
  });

  // Raw sends at the SPI, as a foreign producer would: JSON content type, bytes that are not JSON.
  const raw = await env.transport();
  await raw.connect?.();
  const rawMessage = (id: string, payload: Uint8Array): Envelope => ({ id, type: strict.type, topic, headers: { [HEADERS.contentType]: 'application/json' }, payload, timestamp: Date.now() });
  const badUtf8 = rawMessage(`bad-utf8-${env.run}`, Uint8Array.of(0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d));
  const badJson = rawMessage(`bad-json-${env.run}`, new TextEncoder().encode('{"orderId": "o-1", "quantity": '));
  await raw.send([badUtf8]);
  await raw.send([badJson]);

  // A producer with a looser definition of the same type publishes what the consumer's schema refuses.
  const producer = (await env.client()).producer();
  const schemaId = await producer.publish(loose, { orderId: 42, quantity: -1 });
  const validId = await producer.publish(strict, { orderId: 'o-2', quantity: 3 });

  const dead = await readDeadLetters(env, `${topic}.dlq`, 3);
  await waitFor(() => handled.length >= 1, env.ms(10_000), () => 'the valid order after the invalid ones');
  await sleep(env.ms(100));
  expect(handled).toEqual([{ id: validId, orderId: 'o-2' }]);
  expect(handlerCalls).toBe(1);
  expect(dead.map((e) => e.id).sort()).toEqual([badUtf8.id, badJson.id, schemaId].sort());

  const byId = new Map(dead.map((e) => [e.id, e]));
  for (const sent of [badUtf8, badJson]) {
    const letter = byId.get(sent.id)!;
    expect(letter.headers[HEADERS.deadLetterKind], `kind of ${sent.id}`).toBe('decode');
    expect(letter.headers[HEADERS.deadLetterAttempts]).toBe('1');
    expect(letter.headers[HEADERS.originalTopic]).toBe(topic);
    expect(letter.headers[HEADERS.deadLetterReason]).toMatch(/UTF-8|JSON/);
    expect(sameBytes(letter.payload, sent.payload), `payload of ${sent.id} kept byte-exact`).toBe(true);
  }
  const schemaLetter = byId.get(schemaId)!;
  expect(schemaLetter.headers[HEADERS.deadLetterKind]).toBe('schema');
  expect(schemaLetter.headers[HEADERS.deadLetterAttempts]).toBe('1');
  const issues = JSON.parse(schemaLetter.headers[HEADERS.deadLetterIssues] ?? 'null') as Array<{ path: string; message: string }>;
  expect(issues.map((i) => i.path).sort()).toEqual(['orderId', 'quantity']);
  for (const issue of issues) expect(issue.message.length).toBeGreaterThan(0);
  expect(JSON.parse(new TextDecoder().decode(schemaLetter.payload))).toEqual({ orderId: 42, quantity: -1 });
}

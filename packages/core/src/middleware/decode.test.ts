import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonCodec } from '../codec.ts';
import { DecodeError, NonRetryableError } from '../errors.ts';
import { defineMessage } from '../message.ts';
import { decode } from './decode.ts';
import { fakeContext } from './test-context.ts';

const Ping = defineMessage('ping', z.object({ n: z.number() }));
const definitions = new Map([[Ping.type, Ping]]);

describe('decode middleware', () => {
  it('decodes the payload and finds the definition by type', async () => {
    const ctx = fakeContext({ type: 'ping', payloadBytes: jsonCodec.encode({ n: 1 }) });
    let seen: unknown;
    await decode(jsonCodec, definitions, 'dead-letter')(async (c) => {
      seen = c.payload;
    })(ctx);
    expect(seen).toEqual({ n: 1 });
    expect(ctx.definition).toBe(Ping);
  });

  it('fails undecodable bytes with a DecodeError and never calls the handler', async () => {
    let called = false;
    const ctx = fakeContext({ type: 'ping', payloadBytes: new Uint8Array([0xc3, 0x28]) });
    await expect(decode(jsonCodec, definitions, 'dead-letter')(async () => void (called = true))(ctx)).rejects.toBeInstanceOf(DecodeError);
    expect(called).toBe(false);
  });

  it('fails an unknown type without retry, or ignores it when asked', async () => {
    const ctx = fakeContext({ type: 'pong' });
    await expect(decode(jsonCodec, definitions, 'dead-letter')(async () => undefined)(ctx)).rejects.toBeInstanceOf(NonRetryableError);
    const ignored = fakeContext({ type: 'pong' });
    await decode(jsonCodec, definitions, 'ignore')(async () => undefined)(ignored);
    expect(ignored.outcome).toEqual({ kind: 'ignored' });
  });
});

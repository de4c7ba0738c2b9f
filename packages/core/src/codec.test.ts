import { describe, expect, it } from 'vitest';
import { jsonCodec } from './codec.ts';
import { DecodeError, isRetryable } from './errors.ts';

describe('jsonCodec', () => {
  it('round-trips unicode values', () => {
    const value = { name: 'Zoë 🚢', n: [1, 2.5, null] };
    expect(jsonCodec.decode(jsonCodec.encode(value))).toEqual(value);
  });

  it('refuses invalid UTF-8 and invalid JSON with a non-retryable DecodeError', () => {
    for (const bytes of [new Uint8Array([0xff, 0xfe, 0x00]), new TextEncoder().encode('{"a":')]) {
      let caught: unknown;
      try {
        jsonCodec.decode(bytes);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DecodeError);
      expect(isRetryable(caught)).toBe(false);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { parseOptions } from './parse.ts';

const schema = z.strictObject({
  partitions: z.number().int().min(1).default(6),
  consumer: z.strictObject({ maxBuffered: z.number().default(10), maxHeld: z.number().default(10) }).default({ maxBuffered: 10, maxHeld: 10 }),
});

function failure(input: unknown): ConfigError {
  try {
    parseOptions(schema, input, 'kafka');
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseOptions', () => {
  it('names a misspelt key, suggests the close one and lists what is allowed there, also in a nested object', () => {
    expect(failure({ partitons: 3 }).message).toContain('Remove `partitons` (did you mean `partitions`?). Allowed here: partitions, consumer.');
    const nested = failure({ consumer: { maxbuffered: 5 } });
    expect(nested).toBeInstanceOf(ConfigError);
    expect(nested.message).toContain('`kafka.consumer.maxbuffered`');
    expect(nested.message).toContain('Remove `maxbuffered` (did you mean `maxBuffered`?). Allowed here: maxBuffered, maxHeld.');
  });

  it('suggests nothing for a key that is not close to any, and still names the limit for a bad value', () => {
    expect(failure({ prefetch: 5 }).message).toContain('Remove `prefetch`. Allowed here: partitions, consumer.');
    expect(failure({ partitions: 0 }).message).toMatch(/`kafka.partitions`.*Use a value >= 1/);
  });
});

describe('parseOptions: unknown keys', () => {
  it('points the path at the unknown key itself and lists every allowed key, however many', () => {
    const many = z.strictObject(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`option${i}`, z.number().optional()])));
    const error = (() => {
      try {
        parseOptions(many, { optoin3: 1 }, 'kafka');
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.path).toBe('kafka.optoin3');
    expect(error.message).toContain('did you mean `option3`?');
    expect(error.message).toContain('Allowed here: option0, option1,');
    expect(error.message).toContain('option19.');
    expect(failure({ consumer: { maxbuffered: 5 } }).path).toBe('kafka.consumer.maxbuffered');
  });
});

import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PublishError } from './errors.ts';

describe('PublishError.from', () => {
  it("wraps a client's error with its message redacted, and keeps a redacted copy of it as the cause", () => {
    class ClientError extends Error {}
    const original = new ClientError('connect failed: amqp://app:s3cr3t@broker:5672 refused');
    const error = PublishError.from(original, (reason) => `the broker said no: ${reason}`);
    expect(error).toBeInstanceOf(PublishError);
    expect(error.code).toBe('FERRY_PUBLISH');
    expect(error.message).toBe('the broker said no: connect failed: amqp://app:***@broker:5672 refused');
    expect(error.cause).toBeInstanceOf(ClientError);
    expect((error.cause as Error).message).toBe('connect failed: amqp://app:***@broker:5672 refused');
    expect(inspect(error, { depth: 5 })).not.toContain('s3cr3t');
  });

  it('strips literal secrets given (a SASL password in a client message) from message and cause', () => {
    const error = PublishError.from(new Error('SASL PLAIN failed for app/hunter22'), (reason) => `no: ${reason}`, ['hunter22']);
    expect(error.message).toBe('no: SASL PLAIN failed for app/***');
    expect(inspect(error, { depth: 5 })).not.toContain('hunter22');
  });

  it('keeps a cause that holds no secret as it is', () => {
    const original = new Error('connect ECONNREFUSED 127.0.0.1:9');
    expect(PublishError.from(original, (r) => r).cause).toBe(original);
  });

  it('returns a PublishError as it is', () => {
    const given = new PublishError('already explained');
    expect(PublishError.from(given, () => 'not used')).toBe(given);
  });
});

import { describe, expect, it } from 'vitest';
import { PublishError } from './errors.ts';

describe('PublishError.from', () => {
  it("wraps a client's error with its message redacted, keeping the original as the cause", () => {
    const original = new Error('connect failed: amqp://app:s3cr3t@broker:5672 refused');
    const error = PublishError.from(original, (reason) => `the broker said no: ${reason}`);
    expect(error).toBeInstanceOf(PublishError);
    expect(error.code).toBe('FERRY_PUBLISH');
    expect(error.message).toBe('the broker said no: connect failed: amqp://app:***@broker:5672 refused');
    expect(error.cause).toBe(original);
  });

  it('returns a PublishError as it is', () => {
    const given = new PublishError('already explained');
    expect(PublishError.from(given, () => 'not used')).toBe(given);
  });
});

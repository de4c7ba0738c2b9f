import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from './redact.ts';

describe('redaction', () => {
  it('hides URL passwords and secret query values', () => {
    const out = redactUrl('amqp://app:s3cr3t@broker:5672/prod?secretKey=abc&region=eu');
    expect(out).not.toContain('s3cr3t');
    expect(out).not.toContain('abc');
    expect(out).toContain('app:***@broker');
    expect(out).toContain('region=eu');
  });

  it('hides credentials inside free text', () => {
    expect(redactText('connect failed: amqp://app:s3cr3t@broker:5672 refused')).toBe('connect failed: amqp://app:***@broker:5672 refused');
  });

  it('hides a password given with an empty user name (redis://:password@host)', () => {
    expect(redactText('cannot reach redis://:s3cr3t@cache:6379/0')).toBe('cannot reach redis://:***@cache:6379/0');
  });
});

import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from './redact.ts';

describe('redaction', () => {
  it('hides URL passwords and secret query values', () => {
    const out = redactUrl('amqp://app:s3cr3t@broker:5672/prod?secretKey=abc&region=eu&sessionToken=t0k');
    expect(out).not.toContain('s3cr3t');
    expect(out).not.toContain('abc');
    expect(out).not.toContain('t0k');
    expect(out).toContain('app:***@broker');
    expect(out).toContain('region=eu');
  });

  it('hides a password with an empty user name', () => {
    expect(redactUrl('amqp://:hunter2@broker:5672')).not.toContain('hunter2');
    expect(redactText('cannot reach amqp://:hunter2@broker:5672 (ECONNREFUSED)')).toBe('cannot reach amqp://:***@broker:5672 (ECONNREFUSED)');
  });

  it('shows a URL the parser refuses instead of a placeholder, still without secrets', () => {
    expect(redactUrl('kafka://:9092')).toBe('kafka://:9092');
    expect(redactUrl('sqs://key:s3cret@[bad')).not.toContain('s3cret');
  });

  it('hides credentials inside free text: URLs, name=value pairs and JSON pairs', () => {
    expect(redactText('connect failed: amqp://app:s3cr3t@broker:5672 refused')).toBe('connect failed: amqp://app:***@broker:5672 refused');
    expect(redactText('GET /?Action=Receive&AWSAccessKeyId=AKIA123&X-Amz-Security-Token=tok&Version=1 failed')).toBe('GET /?Action=Receive&AWSAccessKeyId=***&X-Amz-Security-Token=***&Version=1 failed');
    expect(redactText('sasl mechanism=scram-sha-512 password=pw1 user=app')).toBe('sasl mechanism=scram-sha-512 password=*** user=app');
    expect(redactText('{"username":"app","password":"pw2","secretAccessKey":"sk"}')).toBe('{"username":"app","password":"***","secretAccessKey":"***"}');
  });

  it('hides a password given with an empty user name (redis://:password@host)', () => {
    expect(redactText('cannot reach redis://:s3cr3t@cache:6379/0')).toBe('cannot reach redis://:***@cache:6379/0');
  });
});

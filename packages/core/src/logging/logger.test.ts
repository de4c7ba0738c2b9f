import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { childLogger, levelEnabled, stderrLogger, type Logger } from './logger.ts';
import { errorFields, redactFields } from './redact-fields.ts';

describe('stderrLogger (the default)', () => {
  it('writes one line per call at warn and error only, fields as JSON after the text', () => {
    const lines: string[] = [];
    const logger = stderrLogger('warn', {}, (line) => void lines.push(line));
    logger.debug({ a: 1 }, 'not shown');
    logger.info({ a: 1 }, 'not shown either');
    logger.warn({ topic: 'orders' }, 'slow ack');
    logger.error({ err: { type: 'Error', message: 'no', stack: 'Error: no\n    at x' } }, 'broken');
    expect(lines).toEqual(['[ferry] WARN slow ack {"topic":"orders"}\n', '[ferry] ERROR broken {"err":{"type":"Error","message":"no"}}\n']);
    expect(levelEnabled(logger, 'info')).toBe(false);
    expect(levelEnabled(logger, 'error')).toBe(true);
  });

  it("children carry their bindings, the call's fields win", () => {
    const lines: string[] = [];
    const logger = stderrLogger('debug', {}, (line) => void lines.push(line)).child!({ transport: 'kafka', group: 'a' });
    logger.debug({ group: 'b' }, 'x');
    expect(lines).toEqual(['[ferry] DEBUG x {"transport":"kafka","group":"b"}\n']);
  });
});

describe('childLogger', () => {
  it('merges the bindings itself for a logger without child()', () => {
    const calls: unknown[] = [];
    const bare: Logger = { debug: () => undefined, info: (fields, message) => void calls.push([fields, message]), warn: () => undefined, error: () => undefined };
    childLogger(bare, { transport: 'sqs' }).info({ queue: 'q' }, 'hello');
    expect(calls).toEqual([[{ transport: 'sqs', queue: 'q' }, 'hello']]);
    expect(levelEnabled(childLogger(bare, {}), 'debug')).toBe(true); // cannot tell: assumed on
  });
});

describe('a pino logger fits the option as it is', () => {
  it('takes (fields, message), child bindings and level checks', () => {
    const out: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => void (out.push(chunk.toString()), done()) });
    const logger: Logger = pino({ level: 'info', base: undefined, timestamp: false }, sink);
    const child = childLogger(logger, { transport: 'rabbitmq' });
    child.info(redactFields({ messageId: 'm-1', url: 'amqp://app:s3cr3t@broker/prod' }), 'message dead-lettered');
    child.debug({ messageId: 'm-2' }, 'below the level');
    expect(levelEnabled(child, 'debug')).toBe(false);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toEqual({ level: 30, transport: 'rabbitmq', messageId: 'm-1', url: 'amqp://app:***@broker/prod', msg: 'message dead-lettered' });
  });
});

describe('redaction of log fields', () => {
  it('masks secret-named values and credentials in URLs, nested too', () => {
    const fields = redactFields({ password: 'p', sasl: { mechanism: 'plain', password: 'x' }, accessKeyId: 'AKIA', secretAccessKey: 'S', note: 'kafka://u:pw@h:9092 down', list: ['amqp://a:b@c'], key: 'customer-7' });
    expect(fields).toEqual({ password: '***', sasl: '***', accessKeyId: 'AKIA', secretAccessKey: '***', note: 'kafka://u:***@h:9092 down', list: ['amqp://a:***@c'], key: 'customer-7' });
  });

  it('turns errors into pino err fields with the credentials masked', () => {
    const error = Object.assign(new TypeError('connect amqp://app:s3cr3t@host failed'), { code: 'ECONNREFUSED' });
    const fields = errorFields(error);
    expect(fields).toMatchObject({ type: 'TypeError', message: 'connect amqp://app:***@host failed', code: 'ECONNREFUSED' });
    expect(JSON.stringify(fields)).not.toContain('s3cr3t');
    expect(errorFields('plain')).toEqual({ type: 'string', message: 'plain' });
  });
});

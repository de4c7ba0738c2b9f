// The `logger` client option end to end on a scripted transport (deliveries handed in by the test).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient } from '../client/client.ts';
import { NonRetryableError } from '../errors.ts';
import { defineMessage } from '../message.ts';
import { scriptedTransport } from '../test-support/scripted-transport.ts';
import type { Logger, LogLevel } from './logger.ts';

interface Line {
  level: LogLevel;
  fields: Record<string, unknown>;
  message: string;
}

function recordingLogger(lines: Line[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: LogLevel) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields: { ...bindings, ...fields }, message });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => recordingLogger(lines, { ...bindings, ...more }) };
}

const Ping = defineMessage('ping', z.object({ n: z.number() }), { topic: 'pings' });

describe('the logger option', () => {
  it("hands the transport a child bound to its name, before connect, for its client library's logs", async () => {
    const lines: Line[] = [];
    const { transport, given } = scriptedTransport();
    await createClient(transport, { logger: recordingLogger(lines) });
    expect(given).toHaveLength(1);
    given[0]!.warn({ broker: '127.0.0.1:9092' }, 'connection lost');
    expect(lines).toEqual([{ level: 'warn', fields: { transport: 'scripted', broker: '127.0.0.1:9092' }, message: 'connection lost' }]);
  });

  it('logs a dead letter at info and a failed ack at error, with message id, topic and group, credentials masked', async () => {
    const lines: Line[] = [];
    const { transport, deliver, sent } = scriptedTransport();
    const client = await createClient(transport, { logger: recordingLogger(lines) });
    const hookErrors: unknown[] = [];
    await client
      .consumer({ group: 'billing', hooks: { onError: (e) => void hookErrors.push(e) } })
      .handle(Ping, (p) => {
        if (p.n < 0) throw new NonRetryableError('negative: see https://ops:hunter2@wiki/page');
      })
      .start();
    expect(lines.find((l) => l.message === 'consumer started')).toMatchObject({ level: 'info', fields: { group: 'billing', topics: ['pings'] } });

    await deliver({ payload: { n: -1 } });
    expect(sent.map((m) => m.topic)).toEqual(['pings.dlq']);
    const dead = lines.find((l) => l.message === 'message dead-lettered')!;
    expect(dead).toMatchObject({ level: 'info', fields: { messageId: 'm-1', topic: 'pings', group: 'billing', attempt: 1, deadLetterTopic: 'pings.dlq' } });
    expect(JSON.stringify(dead)).toContain('ops:***@wiki');
    expect(JSON.stringify(lines)).not.toContain('hunter2');

    let failures = 1;
    await deliver({
      payload: { n: 1 },
      ack: async () => {
        if (failures-- > 0) throw new Error('ack failed on amqp://app:s3cr3t@broker');
      },
    });
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1); // one line for the one problem; the retried ack then succeeded
    expect(errors[0]).toMatchObject({ message: 'consumer error', fields: { messageId: 'm-1', group: 'billing', err: { message: 'ack failed on amqp://app:***@broker' } } });
    expect(hookErrors).toHaveLength(1); // the application's hook still runs
    await client.close();
  });

  it('is quiet by default: a dead letter writes nothing to stderr', async () => {
    const { transport, deliver } = scriptedTransport();
    const client = await createClient(transport);
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      await client.consumer({ group: 'g' }).handle(Ping, () => { throw new NonRetryableError('no'); }).start();
      await deliver({ payload: { n: 1 } });
      await client.close();
    } finally {
      process.stderr.write = original;
    }
    expect(written.filter((w) => w.includes('[ferry]'))).toEqual([]);
  });

  it('refuses a logger without the four level methods', async () => {
    const { transport } = scriptedTransport();
    await expect(createClient(transport, { logger: { info: () => undefined } as never })).rejects.toThrow(/`client\.logger`.*debug, info, warn and error/);
  });
});

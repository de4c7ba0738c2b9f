import { logLevel, type LogEntry } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogLine, logLine } from './log-line.ts';

const entry = (namespace: string, level: logLevel, message: string, extra: Record<string, unknown> = {}): LogEntry => ({
  namespace,
  level,
  label: logLevel[level],
  log: { timestamp: '2026-11-28T00:00:00.000Z', logger: 'kafkajs', message, ...extra },
});
const plain = (text: string) => text;

describe('kafkajs log lines', () => {
  it('demotes the errors kafkajs retries itself: hidden at the default threshold, warnings at warn', () => {
    const retried = entry('Producer', logLevel.ERROR, 'Failed to send messages: This server is not the leader for that topic-partition', { retryCount: 0 });
    const dropped = entry('Connection', logLevel.ERROR, 'Connection error: read ECONNRESET');
    expect(logLine(retried, logLevel.ERROR, plain)).toBeUndefined();
    expect(logLine(dropped, logLevel.ERROR, plain)).toBeUndefined();
    // An unreachable seed broker: the transport's connect fails with a ConnectionError instead of a line per retry.
    expect(logLine(entry('BrokerPool', logLevel.ERROR, 'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:9999'), logLevel.ERROR, plain)).toBeUndefined();
    expect(logLine(retried, logLevel.WARN, plain)).toMatch(/^\[ferry:kafka\] WARN Producer: Failed to send messages: .*"retryCount":0/);
    expect(logLine(entry('Connection', logLevel.ERROR, 'Response Metadata(key: 3, version: 6)'), logLevel.DEBUG, plain)).toBeUndefined();
  });

  it('keeps real errors as errors, redacted', () => {
    const crash = entry('Consumer', logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: connect to kafka://user:hunter2@10.0.0.1:9092 failed');
    const line = logLine(crash, logLevel.ERROR, (text) => text.replace('hunter2', '***'));
    expect(line).toContain('[ferry:kafka] ERROR Consumer: Crash');
    expect(line).not.toContain('hunter2');
  });

  it('gives a logger call: level, namespace and the fields, redacted like the text', () => {
    const crash = entry('Consumer', logLevel.ERROR, 'Crash', { broker: 'kafka://u:hunter2@h:9092', retryCount: 3 });
    const line = kafkaLogLine(crash, logLevel.ERROR, (text) => text.replace('hunter2', '***'));
    expect(line).toMatchObject({ level: 'error', namespace: 'Consumer', message: 'Crash', fields: { broker: 'kafka://u:***@h:9092', retryCount: 3 } });
    expect(kafkaLogLine(entry('Connection', logLevel.ERROR, 'Connection error'), logLevel.WARN, plain)?.level).toBe('warn');
  });
});

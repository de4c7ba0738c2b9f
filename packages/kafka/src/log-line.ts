import { logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';

/**
 * What of a kafkajs log entry reaches stderr, and at which level; undefined drops it. kafkajs
 * logs as errors several things it then retries itself; to a user those are noise at best and an
 * alarm at worst, so they are demoted (and, at the default `error` threshold, not shown):
 *   - error responses of a request (an existing topic, a leader moving): the request's caller
 *     gets the error if it matters;
 *   - a dropped connection: kafkajs reconnects; if its retries run out the caller gets the error;
 *   - a failed connect to a seed broker: kafkajs tries again; the transport's connect fails with a
 *     ConnectionError that says why once it gives up;
 *   - "Failed to send messages" for a retriable send error (a moved leader, a dropped connection):
 *     kafkajs refreshes metadata and sends again; if it gives up, publish() fails with PublishError.
 * `redact` removes credentials before anything is written.
 */
export function logLine(entry: LogEntry, threshold: number, redact: (text: string) => string): string | undefined {
  const { message, ...extra } = entry.log;
  if (entry.namespace === 'Connection' && message.startsWith('Response') && entry.level !== KafkaLogLevel.DEBUG) return undefined;
  let level: number = entry.level;
  if (level === KafkaLogLevel.ERROR && (entry.namespace === 'Connection' || entry.namespace === 'BrokerPool')) level = KafkaLogLevel.WARN;
  if (level === KafkaLogLevel.ERROR && entry.namespace === 'Producer' && message.startsWith('Failed to send messages')) level = KafkaLogLevel.WARN;
  if (level > threshold) return undefined;
  const name = ['', 'ERROR', 'WARN', 'INFO', 'DEBUG'][level] ?? 'LOG';
  return redact(`[ferry:kafka] ${name} ${entry.namespace}: ${message} ${JSON.stringify(extra)}`);
}

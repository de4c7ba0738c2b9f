import { logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';

/**
 * What of a kafkajs log entry reaches the logger (or stderr), and at which level; undefined drops it. kafkajs
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
export interface KafkaLogLine {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly namespace: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** The entry as a logger call (level, redacted text and fields), or undefined when it is dropped. */
export function kafkaLogLine(entry: LogEntry, threshold: number, redact: (text: string) => string): KafkaLogLine | undefined {
  const { message, ...extra } = entry.log;
  if (entry.namespace === 'Connection' && message.startsWith('Response') && entry.level !== KafkaLogLevel.DEBUG) return undefined;
  let level: number = entry.level;
  if (level === KafkaLogLevel.ERROR && (entry.namespace === 'Connection' || entry.namespace === 'BrokerPool')) level = KafkaLogLevel.WARN;
  if (level === KafkaLogLevel.ERROR && entry.namespace === 'Producer' && message.startsWith('Failed to send messages')) level = KafkaLogLevel.WARN;
  if (level > threshold) return undefined;
  const name = level <= KafkaLogLevel.ERROR ? 'error' : level === KafkaLogLevel.WARN ? 'warn' : level === KafkaLogLevel.INFO ? 'info' : 'debug';
  // Fields go through the same redaction as the text: kafkajs puts broker addresses and SASL details there.
  const redacted = redact(JSON.stringify(extra));
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(redacted) as Record<string, unknown>;
  } catch {
    fields = { detail: redacted };
  }
  return { level: name, namespace: entry.namespace, message: redact(message), fields };
}

/** The entry as one stderr line (the default when the application gives no logger). */
export function logLine(entry: LogEntry, threshold: number, redact: (text: string) => string): string | undefined {
  const line = kafkaLogLine(entry, threshold, redact);
  if (line === undefined) return undefined;
  return `[ferry:kafka] ${line.level.toUpperCase()} ${line.namespace}: ${line.message} ${JSON.stringify(line.fields)}`;
}

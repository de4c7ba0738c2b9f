/** An outbox row to and from the envelope a transport sends. */
import type { OutgoingMessage } from '@ferry/core';

/** A row as the relay reads it (bigint columns arrive as strings). */
export interface OutboxRow {
  readonly seq: string;
  readonly id: string;
  readonly topic: string;
  readonly type: string;
  readonly key: string | null;
  readonly headers: Record<string, string>;
  readonly payload: Buffer;
  readonly published_ms: string;
  readonly priority: number | null;
  /** What is left of the delay now (0 when it has run out while the row waited); null: none asked. */
  readonly delay_left_ms: string | null;
  /** When the row was inserted, by the database's clock (for the relay's latency figures). */
  readonly created_ms: string;
}

/** The parameters of the one-row insert. */
export function rowParams(m: OutgoingMessage): unknown[] {
  return [m.id, m.topic, m.type, m.key ?? null, JSON.stringify(m.headers), m.payload, m.timestamp, m.delayMs ? m.delayMs : null, m.priority ?? null];
}

/** The parameters of the many-row insert: one array per column, in the messages' order. */
export function rowArrays(messages: readonly OutgoingMessage[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 9 }, () => []);
  for (const m of messages) rowParams(m).forEach((value, i) => columns[i]!.push(value));
  return columns;
}

/** The envelope to send: id, type, key, headers, payload and timestamp as published; the delay that is left. */
export function toOutgoing(row: OutboxRow): OutgoingMessage {
  const delay = row.delay_left_ms === null ? 0 : Number(row.delay_left_ms);
  return {
    id: row.id,
    type: row.type,
    topic: row.topic,
    ...(row.key !== null ? { key: row.key } : {}),
    headers: row.headers,
    payload: row.payload,
    timestamp: Number(row.published_ms),
    ...(delay > 0 ? { delayMs: delay } : {}),
    ...(row.priority !== null ? { priority: row.priority } : {}),
  };
}

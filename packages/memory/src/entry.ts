import type { LogRecord } from './topic-log.ts';

/** One pending delivery of a record to one group: the record plus this copy's attempt and due time. */
export interface Entry {
  readonly record: LogRecord;
  readonly attempt: number;
  /** Not delivered before this time (ms since the epoch). */
  readonly notBefore: number;
}

/** Ready order: higher priority first, then publish order. A redelivered copy keeps both. */
export function readyBefore(a: Entry, b: Entry): boolean {
  const pa = a.record.priority;
  const pb = b.record.priority;
  return pa !== pb ? pa > pb : a.record.offset < b.record.offset;
}

/** Delayed order: earliest due first, ties by ready order. */
export function dueBefore(a: Entry, b: Entry): boolean {
  return a.notBefore !== b.notBefore ? a.notBefore < b.notBefore : readyBefore(a, b);
}

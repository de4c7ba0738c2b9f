/** The message as it travels: adapters map it to the broker's fields, round trip exact; core never sees a broker type. */
export interface Envelope {
  /** Unique per message, set by the producer. The default idempotency key. */
  readonly id: string;
  /** Message type, e.g. `order.placed` (CloudEvents `type`). */
  readonly type: string;
  /** Logical destination. */
  readonly topic: string;
  /** Ordering key: messages with one key are handled in publish order. */
  readonly key?: string | undefined;
  /** String headers. Ferry's own use the `ferry-` prefix (see HEADERS). */
  readonly headers: Readonly<Record<string, string>>;
  /** Encoded payload. */
  readonly payload: Uint8Array;
  /** Producer clock, milliseconds since the epoch. */
  readonly timestamp: number;
}

/** What the producer hands a transport: an envelope plus per-send options. */
export interface OutgoingMessage extends Envelope {
  /** Deliver no earlier than this many milliseconds from now. Checked against capabilities. */
  readonly delayMs?: number | undefined;
  /** Higher is delivered first. Checked against capabilities. */
  readonly priority?: number | undefined;
  /**
   * A broker that drops repeated sends within a window (SQS FIFO, JetStream) deduplicates by
   * `deduplicationId ?? id`: core sets it on dead letters and redrives, which reuse an id on purpose.
   */
  readonly deduplicationId?: string | undefined;
}

/** Header names Ferry sets. CloudEvents-style names, `ferry-` prefixed to stay out of users' way. */
export const HEADERS = {
  contentType: 'ferry-content-type',
  attempt: 'ferry-attempt',
  deadLetterReason: 'ferry-dead-letter-reason',
  deadLetterKind: 'ferry-dead-letter-kind',
  deadLetterStack: 'ferry-dead-letter-stack',
  deadLetterIssues: 'ferry-dead-letter-issues',
  deadLetterAttempts: 'ferry-dead-letter-attempts',
  deadLetterAt: 'ferry-dead-letter-at',
  /** Set when a dead letter had to shrink to fit the transport: `headers` (reason, stack cut) or `payload` (left out). */
  deadLetterTruncated: 'ferry-dead-letter-truncated',
  /** With a left-out payload: its size and SHA-256, to find it at its source. */
  deadLetterPayloadBytes: 'ferry-dead-letter-payload-bytes',
  deadLetterPayloadSha256: 'ferry-dead-letter-payload-sha256',
  originalTopic: 'ferry-original-topic',
  originalGroup: 'ferry-original-group',
  originalCoordinates: 'ferry-original-coordinates',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** What a transport can do: core refuses what it lacks (capability-check.ts); `client.capabilities` at runtime. */
export interface Capabilities {
  /** Per-key order: messages with one key reach one consumer in publish order. */
  readonly orderingByKey: boolean;
  /** Several groups on one topic each receive every message. */
  readonly fanOut: boolean;
  /** Start positions a subscription may ask for beyond "new messages". Empty: no replay. */
  readonly replay: ReadonlyArray<'earliest' | 'offset' | 'timestamp'>;
  /** Delayed delivery on publish and on retry; `maxMs` is the longest delay accepted. */
  readonly delay: { readonly maxMs: number } | false;
  /** Priority on publish; `max` is the highest accepted value (0..max). */
  readonly priority: { readonly max: number } | false;
  /** The broker keeps dead letters itself (a DLX, a redrive policy) as a safety net. */
  readonly nativeDeadLetter: boolean;
  /** Consume-transform-produce in one broker transaction (Delivery.transact). */
  readonly transactions: boolean;
  /** Largest encoded payload plus headers, in bytes, a single message may have. */
  readonly maxMessageBytes: number;
}

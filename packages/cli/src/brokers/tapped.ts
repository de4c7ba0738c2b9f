/** A message as `ferry tail` sees it on the wire: Ferry's envelope where the headers carry one, else the raw fields. */
export interface Tapped {
  readonly topic: string;
  readonly id: string;
  readonly type: string;
  readonly key?: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly payload: Buffer;
  readonly timestamp: number;
  /** Where it was read: `partition 2 offset 17`, `routing key order.placed`. */
  readonly at: string;
}

/** Stops a tap; resolves once its connection is closed (and its queue or group gone with it). */
export interface Tap {
  /** What it reads with, for the operator: the group or queue. */
  readonly describe: string;
  close(): Promise<void>;
}

export type OnTapped = (message: Tapped) => void;

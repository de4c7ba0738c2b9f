import { ConfigError, type Logger } from '@ferry/core';

export interface RelayOptions {
  /** Most rows fetched and sent in one transport call. Default 500. */
  readonly batchSize?: number;
  /** Most payload bytes in one batch (a larger single row still goes, alone). Default 512 KiB. */
  readonly maxBatchBytes?: number;
  /**
   * How long an idle relay waits for a NOTIFY before it looks anyway (the fallback when
   * notifications are off or lost). Default 1,000 ms.
   */
  readonly pollIntervalMs?: number;
  /** Sent rows are kept this long (then deleted); 0 deletes each row as it is sent. Default 24 h. */
  readonly retentionMs?: number;
  /** How often sent rows past the retention are deleted (10,000 at a time). Default 60,000 ms. */
  readonly pruneIntervalMs?: number;
  /** How often the relays share the slots out again (a relay joined or left). Default 1,000 ms. */
  readonly rebalanceIntervalMs?: number;
  /**
   * A send the transport has not answered by then counts as failed (and is tried again). A safety
   * net above the adapters' own publish timeouts (30 s by default), which normally answer first, so
   * a transport never holds two attempts of one batch. Default 60,000 ms.
   */
  readonly sendTimeoutMs?: number;
  /** A statement PostgreSQL has not answered by then drops the connection (and its locks). Default 30,000 ms. */
  readonly queryTimeoutMs?: number;
  /** Backoff between failed sends, and between reconnects: doubling from initialDelayMs up to maxDelayMs. Default 100 ms to 10 s. */
  readonly retry?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /** Default: the client's logger. */
  readonly logger?: Logger;
}

export interface ResolvedRelayOptions {
  readonly batchSize: number;
  readonly maxBatchBytes: number;
  readonly pollIntervalMs: number;
  readonly retentionMs: number;
  readonly pruneIntervalMs: number;
  readonly rebalanceIntervalMs: number;
  readonly sendTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly retry: { readonly initialDelayMs: number; readonly maxDelayMs: number };
}

const DEFAULTS: Omit<ResolvedRelayOptions, 'retry'> = {
  batchSize: 500,
  maxBatchBytes: 512 * 1024,
  pollIntervalMs: 1_000,
  retentionMs: 24 * 60 * 60 * 1000,
  pruneIntervalMs: 60_000,
  rebalanceIntervalMs: 1_000,
  sendTimeoutMs: 60_000,
  queryTimeoutMs: 30_000,
};

/** Defaults filled in; a value out of range is a ConfigError naming it. */
export function resolveRelayOptions(options: RelayOptions): ResolvedRelayOptions {
  const resolved = { ...DEFAULTS };
  for (const name of Object.keys(DEFAULTS) as Array<keyof typeof DEFAULTS>) {
    const value = options[name];
    if (value === undefined) continue;
    const min = name === 'retentionMs' ? 0 : 1;
    if (!Number.isInteger(value) || value < min || (name === 'batchSize' && value > 10_000)) {
      throw new ConfigError(`relay.${name}`, `${JSON.stringify(value)} is not ${name === 'batchSize' ? 'a whole number from 1 to 10,000' : `a whole number >= ${min}`}`, `Leave it out for the default (${DEFAULTS[name]}).`);
    }
    resolved[name] = value;
  }
  const retry = { initialDelayMs: options.retry?.initialDelayMs ?? 100, maxDelayMs: options.retry?.maxDelayMs ?? 10_000 };
  if (!Number.isInteger(retry.initialDelayMs) || retry.initialDelayMs < 1 || !Number.isInteger(retry.maxDelayMs) || retry.maxDelayMs < retry.initialDelayMs) {
    throw new ConfigError('relay.retry', `${JSON.stringify(options.retry)} is not a backoff`, 'Give whole numbers with 1 <= initialDelayMs <= maxDelayMs.');
  }
  return { ...resolved, retry };
}

import type { IdempotencyStore, Transport } from '@ferry/core';

/** A TCP address. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * How the reconnect case reaches the broker through a fault proxy: the suite starts a TCP proxy in
 * front of `brokerAddress` and asks for a transport whose connections go through it.
 */
export interface ConnectionFault {
  /** Where the broker listens (the proxy forwards here). */
  readonly brokerAddress: Endpoint;
  /** A new transport that connects to the broker at `proxy` instead of `brokerAddress`. */
  createTransportVia(proxy: Endpoint): Transport | Promise<Transport>;
}

/**
 * An idempotency store the exactly-once cases run with. `create` is called once per simulated
 * process: return a NEW instance with its own connection to the same database each call (the
 * suite closes it), as separate processes would have. A store that cannot be shared between
 * instances (the in-memory one) returns the same instance: it stands for the shared database.
 */
export interface StoreFactory {
  /** Names the store in the case names (`[store: redis]`). */
  readonly name: string;
  create(): IdempotencyStore | Promise<IdempotencyStore>;
}

export interface ConformanceOptions {
  /** Names the describe block and goes into topic names (`conf-<name>-<case>-<random>`). */
  readonly name: string;
  /**
   * A NEW transport on the same broker each call, like a new process. The suite wraps each in
   * `createClient(transport)` and closes what it creates.
   */
  createTransport(): Transport | Promise<Transport>;
  /** Enables the reconnect case; without it that case is skipped with a note. */
  readonly connectionFault?: ConnectionFault;
  /** Multiplies every wait and test timeout (slow brokers: Kafka group joins take seconds). Default 1. */
  readonly timeoutScale?: number;
  /**
   * The stores the exactly-once cases run with, each case once per store (only those cases are
   * repeated). Default: one in-memory store shared by the case's "processes".
   */
  readonly stores?: readonly StoreFactory[];
  readonly messageCount?: {
    /** Messages in the round-trip cases. Default 5,000. */
    readonly roundTrip?: number;
  };
}

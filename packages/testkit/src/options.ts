import type { Transport } from '@ferry/core';

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
  readonly messageCount?: {
    /** Messages in the round-trip cases. Default 5,000. */
    readonly roundTrip?: number;
  };
}

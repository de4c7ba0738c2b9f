import { inspect } from 'node:util';
import { ConfigError, redactText, redactUrl, StoreError, type ClaimResult, type IdempotencyStore } from '@ferry/core';
import { createClient } from 'redis';
import { SCRIPTS, type Script } from './scripts.ts';
import { TickBatch } from './tick-batch.ts';

/**
 * What the store needs of a node-redis client: a connected `createClient()` (or a client of the
 * same shape) passes as it is.
 */
export interface RedisCommandClient {
  sendCommand(args: ReadonlyArray<string>, options?: { readonly timeout?: number }): Promise<unknown>;
  readonly isOpen: boolean;
}

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...`: the store opens (and closes) its own connection. */
  readonly url?: string;
  /** A connected node-redis client you own: the store uses it and never closes it. */
  readonly client?: RedisCommandClient;
  /** Prefix of every key the store writes. Default `ferry:idem:`. */
  readonly keyPrefix?: string;
  /** A command that has no reply after this long fails (the message is retried). Default 5,000 ms. */
  readonly commandTimeoutMs?: number;
  /** How long the first connection may take (with `url`). Default 5,000 ms. */
  readonly connectTimeoutMs?: number;
}

/** One key's part of a script call. */
type Call = { readonly key: string; readonly args: readonly string[] };

type Connection = { readonly client: RedisCommandClient; readonly close?: () => Promise<void> };

/**
 * An IdempotencyStore in Redis, shared by every process of a group. Each operation is a Lua
 * script run atomically on the server with the server's clock. The claims made in one tick go out
 * as one script call over all their keys, and so do the completions (node-redis's cost is per
 * command: this halves the CPU per message of one call per key); what node-redis writes in one
 * tick shares a round trip.
 * A completed key is the 1-byte value `c` with the TTL as its expiry.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly keyPrefix: string;
  /** Where the store connects, password replaced: for errors and logs. */
  readonly address: string;
  readonly #url: string | undefined;
  readonly #commandTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  #connection: Promise<Connection> | undefined;
  /** Claims and completions of one tick go out as one script call each. */
  readonly #claims = new TickBatch<Call, [number, number]>(async (calls) => {
    const reply = (await this.run(SCRIPTS.claim, calls)) as number[];
    return calls.map((_, i) => [reply[i * 2]!, reply[i * 2 + 1]!]);
  });
  readonly #completes = new TickBatch<Call, boolean>(async (calls) => {
    const reply = (await this.run(SCRIPTS.complete, calls)) as number[];
    return calls.map((_, i) => reply[i] === 1);
  });
  #closed = false;

  constructor(options: RedisStoreOptions) {
    if ((options.url === undefined) === (options.client === undefined)) {
      throw new ConfigError('redis store', 'give exactly one of `url` and `client`', "Pass { url: 'redis://127.0.0.1:6379' }, or { client } with a connected node-redis client.");
    }
    this.keyPrefix = options.keyPrefix ?? 'ferry:idem:';
    this.#commandTimeoutMs = positive(options.commandTimeoutMs, 5_000, 'commandTimeoutMs');
    this.#connectTimeoutMs = positive(options.connectTimeoutMs, 5_000, 'connectTimeoutMs');
    if (options.url !== undefined) {
      this.#url = checkUrl(options.url);
      this.address = redactUrl(options.url);
    } else {
      this.address = 'a client given by the application';
      const client = options.client!;
      if (typeof client.sendCommand !== 'function') throw new ConfigError('redis store.client', 'must be a node-redis client (it has no sendCommand)', "Pass the client returned by redis's createClient(), connected.");
      this.#connection = Promise.resolve({ client });
    }
  }

  async claim(key: string, token: string, lease: { readonly leaseMs: number; readonly ttlMs: number }): Promise<ClaimResult> {
    const [state, value] = await this.#claims.add({ key, args: [token, String(lease.leaseMs), String(lease.ttlMs)] });
    if (state === 0) return { state: 'claimed', claims: value };
    if (state === 1) return { state: 'in-progress', retryInMs: value };
    return { state: 'completed' };
  }

  async extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    return (await this.run(SCRIPTS.extend, [{ key, args: [token, String(leaseMs)] }])) === 1;
  }

  async complete(key: string, token: string, ttlMs: number): Promise<boolean> {
    return this.#completes.add({ key, args: [token, String(ttlMs)] });
  }

  async release(key: string, token: string): Promise<void> {
    await this.run(SCRIPTS.release, [{ key, args: [token] }]);
  }

  /** Closes the connection the store opened from its URL; a client given to it is left open. */
  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    const opened = await connection?.catch(() => undefined);
    await opened?.close?.();
  }

  [inspect.custom](): string {
    return `RedisIdempotencyStore { address: ${this.address}, keyPrefix: ${JSON.stringify(this.keyPrefix)} }`;
  }

  toJSON(): { address: string; keyPrefix: string } {
    return { address: this.address, keyPrefix: this.keyPrefix };
  }

  /**
   * One script over the calls' keys (KEYS) and arguments (ARGV, in call order): EVALSHA, or EVAL
   * when the server does not have the script (first use, a restart, SCRIPT FLUSH).
   */
  private async run(script: Script, calls: readonly Call[]): Promise<unknown> {
    const pending = this.connect();
    const connection = await pending;
    const tail = [String(calls.length), ...calls.map((c) => this.keyPrefix + c.key), ...calls.flatMap((c) => c.args)];
    try {
      try {
        return await this.send(pending, connection, ['EVALSHA', script.sha, ...tail]);
      } catch (error) {
        if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
        return await this.send(pending, connection, ['EVAL', script.source, ...tail]);
      }
    } catch (error) {
      throw new StoreError(
        `Redis idempotency store (${this.address}): ${script.name} of ${calls.length === 1 ? `key ${JSON.stringify(calls[0]!.key)}` : `${calls.length} keys (${JSON.stringify(calls[0]!.key)}, ...)`} failed: ${describe(error)}. ` +
          'The message is not acknowledged and will be retried. Check that Redis is running and reachable from this process.',
        { cause: error },
      );
    }
  }

  /**
   * One command, failed after commandTimeoutMs without a reply (node-redis's own timeout stops
   * once a command is written). A connection the store opened that leaves a command unanswered
   * that long is dropped: the next command opens a new one instead of queueing behind it.
   */
  private send(pending: Promise<Connection>, connection: Connection, args: string[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no reply within commandTimeoutMs (${this.#commandTimeoutMs} ms)`));
        if (connection.close && this.#connection === pending) {
          this.#connection = undefined;
          void connection.close();
        }
      }, this.#commandTimeoutMs);
      connection.client.sendCommand(args).then(
        (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private connect(): Promise<Connection> {
    if (this.#closed) return Promise.reject(new StoreError(`Redis idempotency store (${this.address}) is closed. Create a new store.`));
    if (!this.#connection) {
      const connecting = this.open();
      this.#connection = connecting;
      // A failed first connection is not kept: the next message tries again (Redis may be back).
      connecting.catch(() => {
        if (this.#connection === connecting) this.#connection = undefined;
      });
    }
    return this.#connection;
  }

  private async open(): Promise<Connection> {
    let connected = false;
    const client = createClient({
      url: this.#url!,
      socket: {
        connectTimeout: this.#connectTimeoutMs,
        // Before the first connection: fail at once with a clear error. After it: keep reconnecting
        // (commands meanwhile fail after commandTimeoutMs, so messages are retried, not stuck).
        reconnectStrategy: (retries: number, cause: Error) => (connected ? Math.min(50 * 2 ** retries, 2_000) : cause),
      },
    });
    // Without a listener node-redis's 'error' events would crash the process; the errors reach
    // callers through the commands that fail.
    client.on('error', () => undefined);
    const destroy = () => {
      try {
        client.destroy();
      } catch {
        // already closed
      }
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      // connectTimeout covers the TCP connect only; a server that accepts and never answers is caught here.
      await Promise.race([
        client.connect(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within connectTimeoutMs (${this.#connectTimeoutMs} ms)`)), this.#connectTimeoutMs))),
      ]);
    } catch (error) {
      destroy();
      throw new StoreError(
        `Redis idempotency store: cannot connect to ${this.address}: ${describe(error)}. ` +
          `Start Redis there (e.g. redis-server --port ${new URL(this.#url!).port || 6379}), or fix the URL.`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
    connected = true;
    return { client: client as unknown as RedisCommandClient, close: async () => void (await client.close().catch(destroy)) };
  }
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('redis store.url', `${redactUrl(url)} is not a URL`, "Use redis://host:6379 (or rediss:// for TLS), e.g. 'redis://127.0.0.1:6379'.");
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError('redis store.url', `${redactUrl(url)} has the scheme ${parsed.protocol.replace(':', '')}`, "Use redis://host:6379 (or rediss:// for TLS), e.g. 'redis://127.0.0.1:6379'.");
  }
  return url;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`redis store.${name}`, `must be a positive number of ms, got ${String(value)}`, `Leave it out for ${fallback} ms.`);
  return value;
}

/** A client error as one line, with no URL credentials in it. */
function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
  return redactText(text);
}

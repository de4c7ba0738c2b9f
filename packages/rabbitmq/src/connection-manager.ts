import amqp, { type ChannelModel } from 'amqplib';
import { classifyConnectFailure, ClosedError, connectionError, ConnectionError, redactText, redactUrl, silentLogger, type ConnectFailureKind, type Logger } from '@ferry/core/spi';
import type { ResolvedConfig } from './options.ts';
import { tlsIdentityOptions } from './tls-identity.ts';
import { batchSocketWrites } from './write-batching.ts';

/** Runs after every re-open, in registration order, before sends and consumers resume. */
export type ReopenHook = (connection: ChannelModel) => Promise<void>;
/** Runs when the connection is lost (before any reconnect attempt). */
export type LostHook = () => void;
/**
 * What a connection carries. Publishing and consuming have a connection each: when RabbitMQ holds
 * back a publisher (credit flow, a memory or disk alarm) it stops reading that whole connection,
 * and acks on it would wait too.
 */
export type ConnectionRole = 'publish' | 'consume';

type State = 'idle' | 'opening' | 'ready' | 'down' | 'closed';

interface Waiter {
  resolve: (c: ChannelModel) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export { ConnectionError };

/** The connection (or a channel with it) went away under an operation: worth retrying. */
export function isConnectionLoss(error: unknown): boolean {
  return error instanceof Error && /Connection closed|Channel ended|Channel closed|Socket closed|ECONNRESET|EPIPE/i.test(error.message);
}

/**
 * amqplib neither reconnects nor restores topology. This owns one AMQP connection: it opens
 * it, notices when it drops (broker restart, cut socket, server-side close), reconnects with
 * exponential backoff and jitter, and runs the reopen hooks (redeclare topology, reopen the
 * confirm channel and resend what was unconfirmed, resume consumers) before anyone waiting for
 * the connection continues. Callers wait for it with a bound (`ready(timeoutMs)`).
 */
export class ConnectionManager {
  private state: State = 'idle';
  private connection: ChannelModel | undefined;
  private waiters: Waiter[] = [];
  private readonly reopenHooks: ReopenHook[] = [];
  private readonly lostHooks: LostHook[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private firstDeadline = 0;
  private lastError: Error | undefined;
  /** Bumped on every successful open: deliveries and channels of an older generation are gone. */
  generation = 0;
  /** Where losses and reconnects are reported (the application's logger once the client gives one). */
  logger: Logger = silentLogger;
  private lostReason: string | undefined;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly role: ConnectionRole,
  ) {}

  /** How many times the connection was re-established after a loss. */
  get reconnects(): number {
    return Math.max(0, this.generation - 1);
  }

  /** Registers a hook; returns its removal. */
  onReopen(hook: ReopenHook): () => void {
    this.reopenHooks.push(hook);
    return () => {
      const i = this.reopenHooks.indexOf(hook);
      if (i >= 0) this.reopenHooks.splice(i, 1);
    };
  }

  onLost(hook: LostHook): void {
    this.lostHooks.push(hook);
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  /** The open connection, or undefined while down. */
  get current(): ChannelModel | undefined {
    return this.state === 'ready' ? this.connection : undefined;
  }

  /** Opens the connection (first time: keeps trying up to connectTimeoutMs). */
  async connect(): Promise<void> {
    await this.ready(this.config.connectTimeoutMs);
  }

  /** Resolves with the open connection; waits up to `timeoutMs` while (re)connecting. */
  ready(timeoutMs: number): Promise<ChannelModel> {
    if (this.state === 'ready' && this.connection) return Promise.resolve(this.connection);
    if (this.state === 'closed') return Promise.reject(new ClosedError('rabbitmq transport'));
    if (this.state === 'idle') {
      this.state = 'opening';
      this.firstDeadline = Date.now() + this.config.connectTimeoutMs;
      this.attempt = 0;
      void this.tryOpen();
    }
    return new Promise<ChannelModel>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          const first = this.generation === 0;
          reject(this.failure(first ? `${this.attempt + 1} connection attempts within ${timeoutMs} ms` : `to reconnect after a connection loss, for ${timeoutMs} ms`, undefined, first ? undefined : 'publishTimeoutMs', timeoutMs));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.retryTimer);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new ClosedError('rabbitmq transport'));
    }
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await connection.close().catch(() => undefined);
  }

  private async tryOpen(): Promise<void> {
    const { url, tls } = this.config;
    let connection: ChannelModel | undefined;
    try {
      connection = await amqp.connect(
        {
          protocol: url.protocol.slice(0, -1),
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port ? Number(url.port) : url.protocol === 'amqps:' ? 5671 : 5672,
          username: decodeURIComponent(url.username || 'guest'),
          password: decodeURIComponent(url.password || 'guest'),
          vhost: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : '/',
          heartbeat: this.config.heartbeatSeconds,
          frameMax: 131_072,
        },
        {
          ...(url.protocol === 'amqps:' ? tlsIdentityOptions(url.hostname.replace(/^\[|\]$/g, ''), tls) : {}),
          ...tls,
          noDelay: true,
          timeout: this.config.connectTimeoutMs,
          clientProperties: { connection_name: `${this.config.connectionName}/${this.role}` },
        },
      );
      if (this.state === 'closed') {
        await connection.close().catch(() => undefined);
        return;
      }
      batchSocketWrites(connection);
      // 'close' follows an 'error'; the error only says why, for the log line.
      connection.on('error', (error: Error) => {
        this.lostReason = redactText(error.message);
      });
      connection.on('close', () => this.handleLost(connection!));
      // Flow control: the broker stops reading this connection's publishes (memory or disk alarm).
      connection.on('blocked', (reason: string) => this.logger.warn({ ...this.where(), reason }, `RabbitMQ blocked the ${this.role} connection (flow control): publishes wait until it is unblocked`));
      connection.on('unblocked', () => this.logger.info(this.where(), `RabbitMQ unblocked the ${this.role} connection`));
      this.connection = connection;
      if (this.generation > 0) for (const hook of [...this.reopenHooks]) await hook(connection);
      if ((this.state as State) === 'closed' || this.connection !== connection) return;
      if (this.generation > 0) this.logger.info({ ...this.where(), attempts: this.attempt + 1 }, this.role === 'publish' ? 'RabbitMQ publish connection re-established; unconfirmed publishes are sent again' : 'RabbitMQ consume connection re-established; consumers subscribe again');
      this.generation++;
      this.state = 'ready';
      this.attempt = 0;
      this.lastError = undefined;
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.resolve(connection);
      }
    } catch (error) {
      this.lastError = error instanceof Error ? error : new Error(String(error));
      if (connection) {
        this.connection = undefined;
        await connection.close().catch(() => undefined);
      }
      if ((this.state as State) === 'closed') return;
      // Refused credentials, and a first connect's certificate problem, do not get better by retrying.
      if (classifyConnectFailure(this.lastError) === 'auth' || (this.generation === 0 && classifyConnectFailure(this.lastError) === 'tls') || this.pastFirstDeadline()) {
        this.failWaiters();
        return;
      }
      if (this.generation > 0) this.logger.debug({ ...this.where(), attempt: this.attempt + 1, reason: redactText(this.lastError.message) }, `RabbitMQ ${this.role} connection: reconnect attempt failed; retrying`);
      this.scheduleRetry();
    }
  }

  private pastFirstDeadline(): boolean {
    return this.generation === 0 && Date.now() >= this.firstDeadline;
  }

  /** The first connect gave up: waiters fail now; a later call starts over. */
  private failWaiters(): void {
    this.state = 'idle';
    const took = Date.now() - (this.firstDeadline - this.config.connectTimeoutMs);
    const error = this.failure(`${this.attempt + 1} connection attempt${this.attempt === 0 ? '' : 's'} over ${took} ms`, undefined, undefined, this.config.connectTimeoutMs, true);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }

  /** The connect failure as Ferry's ConnectionError: code by the last error (refused login: FERRY_AUTH), address redacted. */
  private failure(tried: string, kind: ConnectFailureKind | undefined, timeoutOption: string | undefined, timeoutMs: number, fatal?: boolean): ConnectionError {
    const { url } = this.config;
    return connectionError({
      broker: 'RabbitMQ',
      address: url,
      tried,
      error: this.lastError,
      kind: kind ?? (this.lastError ? undefined : 'connection'),
      timeoutMs,
      timeoutOption,
      secrets: [decodeURIComponent(url.password)],
      hint: this.lastError && classifyConnectFailure(this.lastError) === 'auth' ? `Also check that the user may open the vhost \`${url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : '/'}\`.` : undefined,
      fatal,
    });
  }

  private handleLost(connection: ChannelModel): void {
    if (this.connection !== connection || this.state === 'closed') return;
    this.connection = undefined;
    this.state = 'down';
    this.logger.warn({ ...this.where(), reason: this.lostReason ?? 'closed' }, `RabbitMQ ${this.role} connection lost; reconnecting`);
    this.lostReason = undefined;
    for (const hook of this.lostHooks) hook();
    this.scheduleRetry();
  }

  /** The fields every log line carries: the broker (password masked) and which connection. */
  private where(): { broker: string; connection: ConnectionRole } {
    return { broker: redactUrl(this.config.url), connection: this.role };
  }

  private scheduleRetry(): void {
    const { initialDelayMs, maxDelayMs } = this.config.reconnect;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** this.attempt);
    this.attempt++;
    const delay = base / 2 + Math.random() * (base / 2);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.tryOpen(), delay);
  }
}

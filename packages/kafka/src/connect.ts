import net from 'node:net';
import tls from 'node:tls';
import { classifyConnectFailure, connectionError, ConnectionError, withinTimeout } from '@ferry/core/spi';
import type { ResolvedConfig } from './options.ts';

/**
 * The first connect of the transport, bounded by `connectTimeoutMs`. kafkajs alone retries an
 * unreachable broker for ~20 s (its request retry, logging each attempt) and then throws its own
 * error types; so first a plain TCP (or TLS) connect to the bootstrap brokers, retried with backoff
 * until one answers or the deadline passes, then kafkajs's connect within what is left. Every
 * failure is a ConnectionError (FERRY_CONNECTION, FERRY_AUTH, FERRY_TLS).
 */
export async function connectWithin<T>(config: ResolvedConfig, open: () => Promise<T>, abandon: () => void): Promise<T> {
  const started = Date.now();
  const deadline = started + config.connectTimeoutMs;
  await reachBootstrap(config, deadline);
  // A broker that answered the probe just before the deadline still gets a moment for the handshake.
  const left = Math.max(1_000, deadline - Date.now());
  try {
    return await withinTimeout(open(), left, () => {
      abandon();
      return kafkaConnectError(config, `the Kafka protocol handshake, still unanswered after ${Date.now() - started} ms`, undefined, 'connection');
    });
  } catch (error) {
    throw error instanceof ConnectionError ? error : kafkaConnectError(config, 'the Kafka protocol handshake and login', error);
  }
}

/** Resolves once one bootstrap broker accepts a TCP (TLS) connection; retries refused/unreachable ones until the deadline. */
async function reachBootstrap(config: ResolvedConfig, deadline: number): Promise<void> {
  let attempts = 0;
  let last: unknown;
  // Tries until the deadline, then once more (that last attempt fails at once).
  for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
    for (const broker of config.bootstrap) {
      attempts++;
      try {
        await probe(config.addressMap[broker] ?? broker, config, Math.max(1, Math.min(config.connectionTimeoutMs, deadline - Date.now())));
        return;
      } catch (error) {
        last = error;
        if (classifyConnectFailure(error) === 'tls') throw kafkaConnectError(config, `a TLS handshake with ${broker}`, error, 'tls');
      }
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, deadline - Date.now())));
  }
  throw kafkaConnectError(config, `${attempts} connection attempts to ${config.bootstrap.join(', ')} over ${config.connectTimeoutMs} ms`, last, 'connection');
}

function probe(address: string, config: ResolvedConfig, timeoutMs: number): Promise<void> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(at + 1));
  return new Promise((resolve, reject) => {
    const options = config.tls === false ? undefined : { host, port, ...(net.isIP(host) ? {} : { servername: host }), ...(config.tls === true ? {} : config.tls) };
    const socket = options ? tls.connect(options) : net.connect({ host, port });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`connect to ${address} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    socket.once(options ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** A kafkajs (or probe) connect failure as Ferry's ConnectionError, the SASL password stripped. */
export function kafkaConnectError(config: ResolvedConfig, tried: string, error?: unknown, kind?: 'connection' | 'auth' | 'tls'): ConnectionError {
  const resolved = kind ?? (isSaslMismatch(error) ? 'auth' : undefined);
  return connectionError({
    broker: 'Kafka',
    address: `kafka://${config.bootstrap.join(',')}`,
    tried,
    error,
    kind: resolved,
    timeoutMs: config.connectTimeoutMs,
    secrets: [config.sasl?.password],
    hint: isSaslMismatch(error)
      ? 'The listener does not speak SASL as asked: if it takes no login, remove the user and password (and ?sasl=) from the URL; otherwise check the mechanism (?sasl=plain|scram-sha-256|scram-sha-512) and whether it needs ?tls=true.'
      : undefined,
  });
}

function isSaslMismatch(error: unknown): boolean {
  const type = (error as { type?: unknown } | undefined)?.type;
  return type === 'ILLEGAL_SASL_STATE' || type === 'UNSUPPORTED_SASL_MECHANISM';
}

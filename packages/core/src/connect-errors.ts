import { FerryError } from './errors.ts';
import { redactError, redactSecrets as scrub, redactUrl } from './redact.ts';

/** What kind of connect failure: each has its own stable code and its own fix. */
export type ConnectFailureKind = 'connection' | 'auth' | 'tls';

const CODES = { connection: 'FERRY_CONNECTION', auth: 'FERRY_AUTH', tls: 'FERRY_TLS' } as const;

/**
 * A transport could not reach its broker: `FERRY_CONNECTION` (refused, unreachable, timed out),
 * `FERRY_AUTH` (credentials refused) or `FERRY_TLS` (certificate or handshake problem). The
 * message names the broker's address (redacted), what was tried, the fix and the connect timeout
 * option; `cause` is the client's error with credentials redacted.
 */
export class ConnectionError extends FerryError {
  readonly kind: ConnectFailureKind;
  /** The broker's address, credentials redacted. */
  readonly address: string;
  /** True when retrying cannot help (refused credentials, a certificate, the first connect timed out). */
  readonly fatal: boolean;
  constructor(kind: ConnectFailureKind, address: string, message: string, options?: { cause?: unknown; fatal?: boolean }) {
    super(CODES[kind], message, options);
    this.kind = kind;
    this.address = address;
    this.fatal = options?.fatal ?? kind !== 'connection';
  }
}

export interface ConnectFailure {
  /** The broker's display name: `Kafka`, `RabbitMQ`, `SQS`. */
  readonly broker: string;
  /** The URL or host:port list connected to; redacted here. */
  readonly address: string | URL;
  /** What was tried, e.g. `3 attempts over 10000 ms to open a connection to 127.0.0.1:9999`. */
  readonly tried: string;
  /** The client's error: classified, redacted into the message, and kept (redacted) as `cause`. */
  readonly error?: unknown;
  /** Overrides the classification of `error`. */
  readonly kind?: ConnectFailureKind;
  /** The transport's connect timeout, named in the message as the option `connectTimeoutMs`. */
  readonly timeoutMs: number;
  /** The option that set `timeoutMs`, when another than `connectTimeoutMs` bounded the wait (a publish waiting out an outage). */
  readonly timeoutOption?: string;
  /** Literal secrets (a SASL password) to strip from the message and cause besides what redactText finds. */
  readonly secrets?: readonly (string | undefined)[];
  /** Where credentials are given for this transport (for the FERRY_AUTH fix). Default: the URL. */
  readonly credentialsIn?: string;
  /** Said after the fix: what else to check for this broker. */
  readonly hint?: string;
  readonly fatal?: boolean;
}

/** One error for every connect failure of every transport: code, address, what was tried, the fix, the timeout option. */
export function connectionError(f: ConnectFailure): ConnectionError {
  const kind = f.kind ?? classifyConnectFailure(f.error);
  const secrets = f.secrets ?? [];
  const address = scrub(typeof f.address === 'string' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(f.address) ? f.address : redactUrl(f.address), secrets);
  const reason = f.error === undefined ? '' : `: ${scrub(describe(f.error), secrets)}`;
  const message = `Cannot connect to ${f.broker} at ${address} (tried ${scrub(f.tried, secrets)})${reason}. ${fixFor(kind, f)}${f.hint ? ` ${f.hint}` : ''}`;
  return new ConnectionError(kind, address, message, { cause: f.error === undefined ? undefined : redactError(f.error, secrets), fatal: f.fatal });
}

function fixFor(kind: ConnectFailureKind, f: ConnectFailure): string {
  const timeout = `\`${f.timeoutOption ?? 'connectTimeoutMs'}\` (now ${f.timeoutMs} ms)`;
  switch (kind) {
    case 'auth':
      return `The broker refused the login: check the user name and password in ${f.credentialsIn ?? 'the URL'} (and that the user may use this broker); retrying cannot help, so this did not wait for the transport option ${timeout}.`;
    case 'tls':
      return `The TLS handshake failed: check that the port speaks TLS, that the broker's certificate is valid for this host name and trusted (for a private CA: the transport option \`tls.ca\` where it has one, or NODE_EXTRA_CA_CERTS). Retrying cannot help, so this did not wait for the transport option ${timeout}.`;
    default:
      return `Check that the broker is running and reachable at this host and port (DNS, firewall, container port mapping). Ferry gave up after the transport option ${timeout}: raise it if the broker needs longer to start.`;
  }
}

/** Errors in a cause chain, AggregateError members included (Node's happy-eyeballs connect gives those). */
function chain(error: unknown): Error[] {
  const out: Error[] = [];
  const walk = (e: unknown, depth: number) => {
    if (!(e instanceof Error) || depth > 8 || out.includes(e)) return;
    out.push(e);
    if (e instanceof AggregateError) for (const inner of e.errors) walk(inner, depth + 1);
    walk(e.cause, depth + 1);
    walk((e as { originalError?: unknown }).originalError, depth + 1);
  };
  walk(error, 0);
  return out;
}

const TLS_CODE = /^(CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY|GET)_|HOSTNAME_MISMATCH)/;
const TLS_TEXT = /certificate|self[- ]signed|SSL routines|wrong version number|TLS handshake|tlsv1 alert|before secure TLS connection/i;
const AUTH_TEXT = /ACCESS[-_]REFUSED|SASL|authenticat|InvalidClientTokenId|SignatureDoesNotMatch|UnrecognizedClient|InvalidAccessKeyId|MissingAuthenticationToken|security token|credentials/i;

/** Sorts a client's connect error into connection, auth or TLS by its codes, names and messages. */
export function classifyConnectFailure(error: unknown): ConnectFailureKind {
  const errors = chain(error);
  const code = (e: Error) => String((e as { code?: unknown }).code ?? '');
  if (errors.some((e) => TLS_CODE.test(code(e)) || TLS_TEXT.test(e.message))) return 'tls';
  if (errors.some((e) => AUTH_TEXT.test(`${e.name} ${code(e)} ${String((e as { type?: unknown }).type ?? '')} ${e.message}`))) return 'auth';
  return 'connection';
}

/** The most telling message of an error chain: the outer one, plus the innermost when it adds something. */
function describe(error: unknown): string {
  const errors = chain(error);
  if (errors.length === 0) return String(error);
  const outer = errors[0]!.message || errors[0]!.name;
  const inner = errors[errors.length - 1]!;
  const innerText = inner.message || (inner as { code?: string }).code || inner.name;
  const text = innerText && !outer.includes(innerText) ? `${outer} (${innerText})` : outer;
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Settles with `work`, or rejects with `onTimeout()` after `timeoutMs` (a late rejection of
 * `work` is then ignored, so it is never unhandled).
 */
export function withinTimeout<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, timeoutMs));
  });
  work.catch(() => undefined);
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

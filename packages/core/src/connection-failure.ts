import { FerryError } from './errors.ts';
import { redactText } from './redact.ts';

/**
 * Why connecting to a broker failed, read from the client's error and its causes: the TLS
 * handshake (an untrusted or mismatched certificate, TLS spoken to a plain port), refused
 * credentials, or anything else (unreachable, timed out). Only the last is worth retrying.
 */
export type ConnectionFailureKind = 'tls' | 'auth' | 'connection';

/** Node's certificate verification codes (and OpenSSL's `ERR_SSL_*`), which retrying cannot fix. */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** kafkajs's SASL failure; AMQP's ACCESS_REFUSED (a refused login, RabbitMQ's 403). */
const AUTH_NAMES = /^KafkaJSSASLAuthenticationError$/;
const AUTH_MESSAGES = /ACCESS[-_]REFUSED|SASL .*authentication failed|Authentication failed/i;

export function connectionFailureKind(error: unknown): ConnectionFailureKind {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_'))) return 'tls';
    if (AUTH_NAMES.test(e.name) || AUTH_MESSAGES.test(e.message)) return 'auth';
  }
  return 'connection';
}

/** The innermost message of the cause chain that says the most (e.g. the socket's TLS error). */
function reasonOf(error: unknown): string {
  let reason = error instanceof Error ? error.message : String(error);
  for (let e: unknown = error instanceof Error ? error.cause : undefined, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e.message) reason = e.message;
  }
  const code = error instanceof Error ? codeInChain(error) : undefined;
  return code && !reason.includes(code) ? `${reason} (${code})` : reason;
}

function codeInChain(error: Error): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export interface ConnectionFailureContext {
  /** `Kafka`, `RabbitMQ`. */
  readonly broker: string;
  /** Where it connected, without credentials (`127.0.0.1:9094`, a redacted URL). */
  readonly address: string;
  /** The option prefix of the adapter (`kafka`, `rabbitmq`), for the fix. */
  readonly options: string;
  /** Where the credentials come from, for the fix of a refused login. */
  readonly credentials: string;
  /** Secrets to keep out of the message (the password), besides what redactText finds. */
  readonly secrets?: readonly (string | undefined)[];
}

/**
 * A client's connect error as a FerryError whose code says what to fix: `FERRY_TLS`, `FERRY_AUTH`
 * or `FERRY_CONNECTION`. The message has the client's reason with secrets removed; the client's
 * error is not kept as the cause, since a client may carry its configuration (the password) in it.
 */
export function connectionFailure(error: unknown, context: ConnectionFailureContext): FerryError {
  if (error instanceof FerryError) return error;
  let reason = redactText(reasonOf(error));
  for (const secret of context.secrets ?? []) if (secret) reason = reason.split(secret).join('***');
  const { broker, address, options } = context;
  switch (connectionFailureKind(error)) {
    case 'tls':
      return new FerryError(
        'FERRY_TLS',
        `TLS connection to ${broker} at ${address} failed: ${reason}. Trust the CA that signed the broker's certificate with the option \`${options}.tls.ca\` (PEM text), and connect by a host name the certificate names.`,
      );
    case 'auth':
      return new FerryError('FERRY_AUTH', `${broker} at ${address} refused the credentials: ${reason}. Check the user name and password (${context.credentials}).`);
    default:
      return new FerryError('FERRY_CONNECTION', `Cannot connect to ${broker} at ${address}: ${reason}. Check that the broker is up and reachable there.`);
  }
}

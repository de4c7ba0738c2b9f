import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connectionFailure, connectionFailureKind } from './connection-failure.ts';

const context = { broker: 'Kafka', address: '127.0.0.1:9094', options: 'kafka', credentials: 'the option `kafka.sasl`', secrets: ['hunter2-pw'] };

/** An error as a client raises it: a message, a name, a code, a cause. */
function clientError(message: string, fields: { name?: string; code?: string; cause?: unknown } = {}): Error {
  const error = new Error(message, { cause: fields.cause });
  if (fields.name) error.name = fields.name;
  if (fields.code) Object.assign(error, { code: fields.code });
  return error;
}

describe('connectionFailureKind', () => {
  it("is tls for Node's certificate codes anywhere in the cause chain (kafkajs wraps the socket's error twice)", () => {
    const socket = clientError('Connection error: self-signed certificate in certificate chain', { name: 'KafkaJSConnectionError', code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(connectionFailureKind(clientError('', { name: 'KafkaJSNumberOfRetriesExceeded', cause: socket }))).toBe('tls');
    expect(connectionFailureKind(clientError("Hostname/IP does not match certificate's altnames", { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }))).toBe('tls');
    expect(connectionFailureKind(clientError('wrong version number', { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }))).toBe('tls');
  });

  it('is auth for a refused SASL login or AMQP ACCESS_REFUSED', () => {
    expect(connectionFailureKind(clientError('SASL SCRAM SHA512 authentication failed: invalid credentials', { name: 'KafkaJSSASLAuthenticationError' }))).toBe('auth');
    expect(connectionFailureKind(new Error('Handshake terminated by server: 403 (ACCESS-REFUSED)'))).toBe('auth');
  });

  it('is connection otherwise', () => {
    expect(connectionFailureKind(clientError('connect ECONNREFUSED 127.0.0.1:9092', { code: 'ECONNREFUSED' }))).toBe('connection');
    expect(connectionFailureKind('not an error')).toBe('connection');
  });
});

describe('connectionFailure', () => {
  it('gives FERRY_TLS naming the tls.ca option and the reason with its code', () => {
    const socket = clientError('Connection error: self-signed certificate in certificate chain', { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    const error = connectionFailure(clientError('', { cause: socket }), context);
    expect(error.code).toBe('FERRY_TLS');
    expect(error.message).toContain('`kafka.tls.ca`');
    expect(error.message).toContain('self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN)');
  });

  it('gives FERRY_AUTH with the password removed from the message, and keeps no cause that may hold it', () => {
    const client = Object.assign(clientError('SASL authentication failed for ferry:hunter2-pw', { name: 'KafkaJSSASLAuthenticationError' }), { config: { password: 'hunter2-pw' } });
    const error = connectionFailure(client, context);
    expect(error.code).toBe('FERRY_AUTH');
    expect(error.message).toContain('Check the user name and password (the option `kafka.sasl`)');
    expect(inspect(error, { depth: Infinity })).not.toContain('hunter2-pw');
  });

  it('returns a FerryError as it is', () => {
    const first = connectionFailure(new Error('connect ECONNREFUSED'), context);
    expect(first.code).toBe('FERRY_CONNECTION');
    expect(connectionFailure(first, context)).toBe(first);
  });
});

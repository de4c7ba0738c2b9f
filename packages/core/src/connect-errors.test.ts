import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { classifyConnectFailure, connectionError, ConnectionError, withinTimeout } from './connect-errors.ts';
import { FerryError } from './errors.ts';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });

describe('connectionError', () => {
  it('names the code, the redacted address, what was tried, the fix and connectTimeoutMs', () => {
    const error = connectionError({ broker: 'RabbitMQ', address: 'amqp://app:s3cr3t@127.0.0.1:9', tried: '4 attempts over 3000 ms', error: refused, timeoutMs: 3000 });
    expect(error).toBeInstanceOf(FerryError);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.code).toBe('FERRY_CONNECTION');
    expect(error.address).toBe('amqp://app:***@127.0.0.1:9');
    expect(error.message).toContain('Cannot connect to RabbitMQ at amqp://app:***@127.0.0.1:9 (tried 4 attempts over 3000 ms): connect ECONNREFUSED 127.0.0.1:9.');
    expect(error.message).toContain('`connectTimeoutMs` (now 3000 ms)');
    expect(error.message).not.toContain('s3cr3t');
  });

  it('tells refused credentials (FERRY_AUTH) and certificate problems (FERRY_TLS) apart, each with its fix', () => {
    const auth = connectionError({ broker: 'Kafka', address: 'kafka://127.0.0.1:9092', tried: 'a SASL login', error: new Error('SASL PLAIN authentication failed'), timeoutMs: 1000 });
    expect(auth.code).toBe('FERRY_AUTH');
    expect(auth.fatal).toBe(true);
    expect(auth.message).toContain('check the user name and password in the URL');
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const error = connectionError({ broker: 'Kafka', address: 'kafka://h:9093', tried: 'a TLS handshake', error: tls, timeoutMs: 1000 });
    expect(error.code).toBe('FERRY_TLS');
    expect(error.message).toContain('`tls.ca`');
  });

  it('strips literal secrets from the message and keeps only a redacted cause', () => {
    const raw = new Error('login of app with hunter22 failed: SASL', { cause: new Error('inner hunter22') });
    const error = connectionError({ broker: 'Kafka', address: '127.0.0.1:9092', tried: 'a login', error: raw, timeoutMs: 1000, secrets: ['hunter22'] });
    expect(error.message).not.toContain('hunter22');
    expect(inspect(error, { depth: 8 })).not.toContain('hunter22');
    expect(JSON.stringify({ ...error, cause: String(error.cause) })).not.toContain('hunter22');
  });

  it('classifies chained and aggregate errors by their innermost codes', () => {
    expect(classifyConnectFailure(new Error('outer', { cause: refused }))).toBe('connection');
    expect(classifyConnectFailure(new AggregateError([Object.assign(new Error('x'), { code: 'CERT_HAS_EXPIRED' })], 'x'))).toBe('tls');
    expect(classifyConnectFailure(Object.assign(new Error('The security token included in the request is invalid.'), { name: 'InvalidClientTokenId' }))).toBe('auth');
  });
});

describe('withinTimeout', () => {
  it('rejects with the timeout error when the work is slower, and never leaves the late rejection unhandled', async () => {
    const slow = new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 50));
    await expect(withinTimeout(slow, 5, () => new Error('too slow'))).rejects.toThrow('too slow');
    await new Promise((r) => setTimeout(r, 80));
  });

  it('settles with the work when it is faster', async () => {
    await expect(withinTimeout(Promise.resolve(7), 1000, () => new Error('no'))).resolves.toBe(7);
  });
});

/** An error as a client raises it: a message, a name, a code, a cause. */
function clientError(message: string, fields: { name?: string; code?: string; cause?: unknown } = {}): Error {
  const error = new Error(message, { cause: fields.cause });
  if (fields.name) error.name = fields.name;
  if (fields.code) Object.assign(error, { code: fields.code });
  return error;
}

describe('classifyConnectFailure: the clients\' errors as they come', () => {
  it("is tls for Node's certificate codes anywhere in the cause chain (kafkajs wraps the socket's error twice)", () => {
    const socket = clientError('Connection error: self-signed certificate in certificate chain', { name: 'KafkaJSConnectionError', code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(classifyConnectFailure(clientError('', { name: 'KafkaJSNumberOfRetriesExceeded', cause: socket }))).toBe('tls');
    expect(classifyConnectFailure(clientError("Hostname/IP does not match certificate's altnames", { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }))).toBe('tls');
    expect(classifyConnectFailure(clientError('wrong version number', { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }))).toBe('tls');
  });

  it('is auth for a refused SASL login or AMQP ACCESS_REFUSED', () => {
    expect(classifyConnectFailure(clientError('SASL SCRAM SHA512 authentication failed: invalid credentials', { name: 'KafkaJSSASLAuthenticationError' }))).toBe('auth');
    expect(classifyConnectFailure(new Error('Handshake terminated by server: 403 (ACCESS-REFUSED)'))).toBe('auth');
  });

  it('is connection otherwise', () => {
    expect(classifyConnectFailure(clientError('connect ECONNREFUSED 127.0.0.1:9092', { code: 'ECONNREFUSED' }))).toBe('connection');
    expect(classifyConnectFailure('not an error')).toBe('connection');
  });
});

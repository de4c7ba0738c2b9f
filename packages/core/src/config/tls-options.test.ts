import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { parseOptions } from './parse.ts';
import { tlsOptionsSchema } from './tls-options.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('tlsOptionsSchema', () => {
  it('takes PEM text for ca (one or a list), cert and key', () => {
    expect(parseOptions(tlsOptionsSchema, { ca: PEM, cert: PEM, key: '-----BEGIN PRIVATE KEY-----\n' }, 'kafka.tls')).toMatchObject({ ca: PEM });
    expect(parseOptions(tlsOptionsSchema, { ca: [PEM, PEM] }, 'kafka.tls').ca).toHaveLength(2);
  });

  it('refuses a file path given as ca, naming the option and the fix', () => {
    const error = (() => {
      try {
        parseOptions(tlsOptionsSchema, { ca: '/etc/ssl/ca.pem' }, 'kafka.tls');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe('kafka.tls.ca');
    expect((error as Error).message).toMatch(/not PEM text .*readFileSync/);
  });

  it('never repeats a refused key in the message', () => {
    expect(() => parseOptions(tlsOptionsSchema, { key: 'my-secret-key-material' }, 'rabbitmq.tls')).toThrow(/`rabbitmq\.tls\.key`: is not PEM text/);
    try {
      parseOptions(tlsOptionsSchema, { key: 'my-secret-key-material' }, 'rabbitmq.tls');
    } catch (e) {
      expect((e as Error).message).not.toContain('my-secret-key-material');
    }
  });
});

import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@ferry/core';
import { kafkaConnectError } from './connect.ts';
import { resolveConfig } from './options.ts';
import { publishError } from './producer.ts';
import { KafkaTransport } from './transport.ts';

const url = new URL('kafka://app:pw-7c1e@127.0.0.1:9092?sasl=scram-sha-256');

describe('kafka: secrets stay out of errors and printed objects', () => {
  it('strips the SASL password from a thrown publish error and from its cause', () => {
    const config = resolveConfig(url);
    const raw = new Error('SASL SCRAM-SHA-256 authentication failed for app (pw-7c1e)');
    const error = publishError(raw, config.maxMessageBytes, config.sasl?.password);
    expect(error.message).toContain('authentication failed for app (***)');
    expect(inspect(error, { depth: 10 })).not.toContain('pw-7c1e');
  });

  it('strips it from a connect error too', () => {
    const config = resolveConfig(url);
    const error = kafkaConnectError(config, 'a login', Object.assign(new Error('login pw-7c1e refused'), { type: 'SASL_AUTHENTICATION_FAILED' }));
    expect(error.code).toBe('FERRY_AUTH');
    expect(inspect(error, { depth: 10 })).not.toContain('pw-7c1e');
  });

  it('prints the transport and its config without the password (inspect, console.log, JSON)', async () => {
    const transport = new KafkaTransport(url);
    const config = (transport as unknown as { config: object }).config;
    for (const shown of [inspect(transport, { depth: 10 }), JSON.stringify(transport), inspect(config, { depth: 10 }), JSON.stringify(config)]) {
      expect(shown).not.toContain('pw-7c1e');
      expect(shown).toContain('127.0.0.1:9092');
    }
    await transport.close();
  });

  it('an unknown option names the key and lists every allowed key', () => {
    let error: unknown;
    try {
      resolveConfig(new URL('kafka://127.0.0.1:9092'), { partitons: 3 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe('kafka.partitons');
    expect((error as ConfigError).message).toMatch(/did you mean `partitions`\?\)\. Allowed here: brokers, clientId, .*connectTimeoutMs.*logLevel\./);
  });
});

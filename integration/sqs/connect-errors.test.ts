/** Connect failures of the SQS transport: a closed port, TLS against ElasticMQ's plain HTTP, malformed settings. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@ferry/core';
import { SqsTransport } from '@ferry/sqs';
import { message } from '../harness/index.ts';
import { closedPort, expectConnectFailure } from '../harness/connect-failure.ts';
import { sqs, sqsEndpoint, topicName } from './helpers.ts';

const credentials = { accessKeyId: 'AKIATEST', secretAccessKey: 'sqs-secret-6f0e' };

describe('sqs connect failures', () => {
  it('an unreachable endpoint: FERRY_CONNECTION naming the endpoint and connectTimeoutMs, within it, on connect and on a first publish', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    for (const attempt of ['connect', 'send'] as const) {
      const t = sqs({ connectTimeoutMs: 3_000, credentials }, endpoint);
      await expectConnectFailure(() => (attempt === 'connect' ? t.connect() : t.send([message(topicName('unreachable'))])), {
        code: 'FERRY_CONNECTION',
        timeoutMs: 3_000,
        contains: [`Cannot connect to SQS at ${endpoint}/`, 'ECONNREFUSED', '`connectTimeoutMs` (now 3000 ms)'],
        secrets: ['sqs-secret-6f0e'],
      });
      await t.close();
    }
  });

  it('https:// against the plain HTTP endpoint: FERRY_TLS', async () => {
    const t = sqs({ connectTimeoutMs: 5_000, credentials }, sqsEndpoint().endpoint.replace(/^http:/, 'https:'));
    await expectConnectFailure(() => t.connect(), { code: 'FERRY_TLS', timeoutMs: 5_000, contains: ['check that the port speaks TLS'], secrets: ['sqs-secret-6f0e'] });
    await t.close();
  });

  it('the real endpoint connects', async () => {
    const t = sqs({ connectTimeoutMs: 5_000 });
    await t.connect();
    await t.close();
  });

  it('a malformed region or endpoint is a ConfigError naming the option, before any request', () => {
    const refuse = (url: string, options: Record<string, unknown> = {}) => () => new SqsTransport(new URL(url), options);
    expect(refuse('sqs://us-east-1', { region: 'us east 1' })).toThrowError(/`sqs\.region`.*must be a region name such as `us-east-1`/);
    expect(refuse('sqs://us_east_1')).toThrowError(ConfigError);
    expect(refuse('sqs://us-east-1?endpoint=127.0.0.1:9324')).toThrowError(/`sqs\.endpoint`/);
  });
});

/** Connect failures of the Kafka transport against a closed port and the real broker's plain listener. */
import { describe, it } from 'vitest';
import { KafkaTransport } from '@ferry/kafka';
import { closedPort, expectConnectFailure } from '../harness/connect-failure.ts';
import { brokers, message, topicName } from './helpers.ts';

const transport = (url: string, options: Record<string, unknown> = {}) => new KafkaTransport(new URL(url), { logLevel: 'error', ...options });

describe('kafka connect failures', () => {
  it('an unreachable broker: FERRY_CONNECTION naming the address and connectTimeoutMs, within it, on connect and on a first publish', async () => {
    const port = await closedPort();
    for (const attempt of ['connect', 'send'] as const) {
      const t = transport(`kafka://127.0.0.1:${port}`, { connectTimeoutMs: 2_000 });
      await expectConnectFailure(() => (attempt === 'connect' ? t.connect() : t.send([message(topicName('unreachable'))])), {
        code: 'FERRY_CONNECTION',
        timeoutMs: 2_000,
        contains: [`Cannot connect to Kafka at kafka://127.0.0.1:${port}`, 'ECONNREFUSED', '`connectTimeoutMs` (now 2000 ms)', 'Check that the broker is running'],
      });
      await t.close();
    }
  });

  it('a SASL URL against a plain listener: FERRY_AUTH that says to check the login or drop it, without the password', async () => {
    const t = transport(`kafka://app:kafka-pw-5e1d@${brokers()[0]}?sasl=plain`, { connectTimeoutMs: 5_000 });
    await expectConnectFailure(() => t.connect(), {
      code: 'FERRY_AUTH',
      timeoutMs: 5_000,
      contains: [`kafka://${brokers()[0]}`, 'check the user name and password in the URL', 'remove the user and password'],
      secrets: ['kafka-pw-5e1d'],
    });
    await t.close();
  });

  it('TLS against a plain listener: FERRY_TLS, at once', async () => {
    const t = transport(`kafka://${brokers()[0]}?tls=true`, { connectTimeoutMs: 5_000 });
    await expectConnectFailure(() => t.connect(), { code: 'FERRY_TLS', timeoutMs: 5_000, contains: ['check that the port speaks TLS'] });
    await t.close();
  });
});

/** Connect failures of the RabbitMQ transport against a closed port and the real broker. */
import { describe, it } from 'vitest';
import { closedPort, expectConnectFailure } from '../harness/connect-failure.ts';
import { amqpUrl, message, rabbit, topicName } from './helpers.ts';

describe('rabbitmq connect failures', () => {
  it('an unreachable broker: FERRY_CONNECTION naming the address and connectTimeoutMs, within it', async () => {
    const port = await closedPort();
    const t = rabbit({ connectTimeoutMs: 2_000 }, `amqp://app:rabbit-pw-31@127.0.0.1:${port}`);
    await expectConnectFailure(() => t.connect(), {
      code: 'FERRY_CONNECTION',
      timeoutMs: 2_000,
      contains: [`Cannot connect to RabbitMQ at amqp://app:***@127.0.0.1:${port}`, 'ECONNREFUSED', '`connectTimeoutMs` (now 2000 ms)', 'raise it if the broker needs longer'],
      secrets: ['rabbit-pw-31'],
    });
    await t.close();
  });

  it('a refused login: FERRY_AUTH that says to check the credentials in the URL, at once, without the password', async () => {
    const url = new URL(amqpUrl());
    url.password = 'wrong-pw-8d2f';
    const t = rabbit({ connectTimeoutMs: 5_000 }, url.toString());
    await expectConnectFailure(() => t.send([message(topicName('login'))]), {
      code: 'FERRY_AUTH',
      timeoutMs: 5_000,
      contains: ['check the user name and password in the URL', 'ACCESS-REFUSED'],
      secrets: ['wrong-pw-8d2f'],
    });
    await t.close();
  });

  it('amqps:// against the plain listener: FERRY_TLS, at once', async () => {
    const url = new URL(amqpUrl());
    const t = rabbit({ connectTimeoutMs: 5_000 }, `amqps://${url.username}:${url.password}@${url.host}`);
    await expectConnectFailure(() => t.connect(), { code: 'FERRY_TLS', timeoutMs: 5_000, contains: ['check that the port speaks TLS'] });
    await t.close();
  });
});

import { inspect } from 'node:util';
import { expect, it } from 'vitest';
import { resolveConfig } from './options.ts';
import { RabbitMqTransport } from './transport.ts';

it('prints the transport and its config without the URL password or TLS key (inspect, console.log, JSON)', async () => {
  const transport = new RabbitMqTransport(new URL('amqps://app:amqp-pw-4b@broker:5671/vh'), { tls: { key: '-----BEGIN PRIVATE KEY-----\nPRIVATE-KEY-9\n-----END PRIVATE KEY-----\n', passphrase: 'pp-9' } });
  const config = (transport as unknown as { config: object }).config;
  for (const shown of [inspect(transport, { depth: 10 }), JSON.stringify(transport), inspect(config, { depth: 10 }), JSON.stringify(config)]) {
    for (const secret of ['amqp-pw-4b', 'PRIVATE-KEY-9', 'pp-9']) expect(shown).not.toContain(secret);
    expect(shown).toContain('amqps://app:***@broker:5671/vh');
  }
  await transport.close();
});

it('an unknown option names the key and lists every allowed key', () => {
  expect(() => resolveConfig(new URL('amqp://h'), { queuType: 'quorum' })).toThrowError(/Invalid option `rabbitmq\.queuType`.*did you mean `queueType`\?\)\. Allowed here: queueType, priorityTopics, .*connectTimeoutMs.*tls\./);
});

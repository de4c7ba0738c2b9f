/**
 * The clients' own logs reach the application's logger (`createClient(url, { logger })`), redacted:
 * kafkajs's lines through the Kafka adapter, RabbitMQ connection losses and reconnects through the
 * RabbitMQ adapter's connection manager. Real brokers, real sockets.
 */
import { describe, expect, it } from 'vitest';
import { createClient, defineMessage, type Logger } from '@ferry/core';
import { z } from 'zod';
import { startTcpProxy, uniqueName } from '../harness/index.ts';
import { amqpUrl } from '../rabbitmq/helpers.ts';
import { waitFor } from './brokers.ts';

interface Line {
  readonly level: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

function capturingLogger(lines: Line[]): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, message, fields });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const Ping = defineMessage('logs.ping', z.object({ n: z.number() }));
const RabbitPing = defineMessage(uniqueName('logs-ping'), z.object({ n: z.number() }));

describe('client libraries log through the application logger', () => {
  it('kafkajs: a broker that cannot be reached is logged at warn with its namespace, the SASL password never', async () => {
    const lines: Line[] = [];
    // Port 1 refuses at once; SASL is configured so its password is in the client's config.
    const url = 'kafka://127.0.0.1:1?clientId=ferry-logs';
    const options = { logLevel: 'warn', sasl: { mechanism: 'plain', username: 'ferry', password: 'kafka-s3cret' }, retry: { retries: 1, initialRetryTimeMs: 50, maxRetryTimeMs: 100 }, connectionTimeoutMs: 500 };
    const client = await createClient(url, { logger: capturingLogger(lines), transport: options }).catch((error: unknown) => error);
    if (!(client instanceof Error)) {
      await expect((client as Awaited<ReturnType<typeof createClient>>).producer().publish(Ping, { n: 1 })).rejects.toThrow();
      await (client as Awaited<ReturnType<typeof createClient>>).close();
    }
    const kafkajs = lines.filter((l) => typeof l.fields.namespace === 'string');
    expect(kafkajs.length).toBeGreaterThan(0);
    expect(kafkajs.some((l) => l.level === 'warn' && /ECONNREFUSED|Connection/i.test(`${l.message} ${JSON.stringify(l.fields)}`))).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('kafka-s3cret');
  }, 30_000);

  it('RabbitMQ: a cut connection is logged at warn, the reconnect at info, with the broker address redacted', async () => {
    const target = new URL(amqpUrl());
    const proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5672) });
    const viaProxy = new URL(target.toString());
    viaProxy.port = String(proxy.port);
    const lines: Line[] = [];
    const client = await createClient(viaProxy.toString(), { logger: capturingLogger(lines), topics: { [RabbitPing.topic]: { groups: ['g'] } }, transport: { reconnect: { initialDelayMs: 50, maxDelayMs: 500 } } });
    try {
      await client.producer().publish(RabbitPing, { n: 1 });
      proxy.cutAll();
      await waitFor(() => lines.some((l) => l.level === 'info' && /re-established/.test(l.message)), 20_000, () => JSON.stringify(lines));
      const lost = lines.find((l) => l.level === 'warn' && /connection lost/.test(l.message));
      expect(lost).toBeDefined();
      expect(String(lost!.fields.broker)).toContain(`127.0.0.1:${proxy.port}`);
      if (target.password) expect(JSON.stringify(lines)).not.toContain(`:${target.password}@`);
      await client.producer().publish(RabbitPing, { n: 2 }); // and it works again
    } finally {
      await client.close();
      await proxy.close();
    }
  }, 60_000);
});

/**
 * The clients' own logs reach the application's logger (`createClient(url, { logger })`):
 * kafkajs's lines through the Kafka adapter (their redaction: packages/kafka/src/log-line.test.ts), RabbitMQ connection losses and reconnects through the
 * RabbitMQ adapter's connection manager. Real brokers, real sockets.
 */
import { describe, expect, it } from 'vitest';
import { createClient, defineMessage, type Logger } from '@ferry/core';
import { z } from 'zod';
import { startTcpProxy, uniqueName } from '../harness/index.ts';
import { kafkaUrl, TEST_OPTIONS as KAFKA_OPTIONS } from '../kafka/helpers.ts';
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

const RabbitPing = defineMessage(uniqueName('logs-ping'), z.object({ n: z.number() }));

describe('client libraries log through the application logger', () => {
  it("kafkajs: its lines at or above the adapter's logLevel reach the logger at their level, with kafkajs's namespace", async () => {
    const lines: Line[] = [];
    const KafkaPing = defineMessage(uniqueName('logs-kafka'), z.object({ n: z.number() }));
    const client = await createClient(kafkaUrl().toString(), { logger: capturingLogger(lines), transport: { ...KAFKA_OPTIONS, logLevel: 'info' } });
    try {
      let handled = 0;
      await client.consumer({ group: uniqueName('logs-g') }).handle(KafkaPing, () => void handled++).start();
      await client.producer().publish(KafkaPing, { n: 1 });
      await waitFor(() => handled === 1, 30_000, () => JSON.stringify(lines));
      // kafkajs says at info that the consumer joined its group; Ferry adds the namespace as a field.
      const joined = lines.find((l) => l.level === 'info' && l.fields.namespace === 'ConsumerGroup' && /joined the group/i.test(l.message));
      expect(joined, JSON.stringify(lines.slice(0, 5))).toBeDefined();
      expect(joined!.fields.groupId).toBeDefined();
    } finally {
      await client.close();
    }
  }, 60_000);

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

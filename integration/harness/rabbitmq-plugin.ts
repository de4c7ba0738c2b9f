/** The consistent-hash exchange plugin: wanted by adapter tests, never required by the harness. */
import amqp from 'amqplib';
import { log } from './log.ts';
import { withTimeout } from './probes.ts';

export const CONSISTENT_HASH_PLUGIN = 'rabbitmq_consistent_hash_exchange';

/** True if the broker accepts an `x-consistent-hash` exchange (declared and deleted again). */
export async function consistentHashAvailable(url: string): Promise<boolean> {
  let connection: amqp.ChannelModel | undefined;
  try {
    connection = await withTimeout(amqp.connect(url, { timeout: 3_000 }), 8_000, 'AMQP connect');
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined); // an unknown exchange type closes the channel with 503
    const name = `ferry-harness-chx-${process.pid}-${Date.now()}`;
    await channel.assertExchange(name, 'x-consistent-hash', { autoDelete: true, durable: false });
    await channel.deleteExchange(name);
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/**
 * Enables the plugin with `enable` (rabbitmq-plugins on this machine, or exec in a container)
 * if the broker lacks it. Failure is logged, not thrown.
 */
export async function ensureConsistentHashPlugin(url: string, enable: () => Promise<number>): Promise<boolean> {
  if (await consistentHashAvailable(url)) return true;
  try {
    const code = await enable();
    if (code === 0 && (await consistentHashAvailable(url))) {
      log(`RabbitMQ: enabled ${CONSISTENT_HASH_PLUGIN}`);
      return true;
    }
    log(`RabbitMQ: could not enable ${CONSISTENT_HASH_PLUGIN} (exit ${code}); tests that need it will fail`);
  } catch (error) {
    log(`RabbitMQ: could not enable ${CONSISTENT_HASH_PLUGIN}: ${(error as Error).message}`);
  }
  return false;
}

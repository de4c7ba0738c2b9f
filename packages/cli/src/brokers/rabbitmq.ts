/** amqplib for what the transport does not do for the CLI: passive checks, probe cleanup. */
import amqp, { type ChannelModel } from 'amqplib';

/** Runs `work` on a fresh channel: a failed passive check (404) closes only that channel. */
export async function onChannel<T>(connection: ChannelModel, work: (channel: amqp.Channel) => Promise<T>): Promise<T> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined); // the rejection of `work` tells
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

export function amqpConnect(url: URL, options: Record<string, unknown>): Promise<ChannelModel> {
  return amqp.connect(url.toString(), { ...((options['tls'] as object | undefined) ?? {}), timeout: 5_000, clientProperties: { connection_name: 'ferry-cli' } });
}

/** Whether the exchange exists (a passive declare). */
export async function exchangeExists(connection: ChannelModel, exchange: string): Promise<boolean> {
  return onChannel(connection, (ch) => ch.checkExchange(exchange)).then(
    () => true,
    (error: unknown) => (isNotFound(error) ? false : Promise.reject(error)),
  );
}

/** The queue's ready messages and consumers, or undefined when it does not exist. */
export async function queueInfo(connection: ChannelModel, queue: string): Promise<{ messages: number; consumers: number } | undefined> {
  return onChannel(connection, (ch) => ch.checkQueue(queue)).then(
    (ok) => ({ messages: ok.messageCount, consumers: ok.consumerCount }),
    (error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)),
  );
}

/** Deletes the queues, then the exchanges (deleting a missing one succeeds); rejects naming those it could not. */
export async function deleteObjects(connection: ChannelModel, queues: readonly string[], exchanges: readonly string[]): Promise<void> {
  const failed: string[] = [];
  for (const queue of queues) await onChannel(connection, (ch) => ch.deleteQueue(queue)).catch((e: unknown) => failed.push(`queue ${queue} (${(e as Error).message})`));
  for (const exchange of exchanges) await onChannel(connection, (ch) => ch.deleteExchange(exchange)).catch((e: unknown) => failed.push(`exchange ${exchange} (${(e as Error).message})`));
  if (failed.length > 0) throw new Error(`could not delete ${failed.length} of them, first ${failed[0]}`);
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown }).code === 404;
}

/**
 * `ferry relay <postgres-url> <broker-url>`: the outbox relay as a process of its own. Runs until
 * SIGTERM or SIGINT, then finishes the batch in flight, releases its slots and exits 0.
 */
import { parseArgs } from 'node:util';
import { createClient, redactUrl } from '@ferry/core';
import { postgresOutbox, type RelayOptions } from '@ferry/postgres';
import { TABLE_FLAGS, wholeNumber } from './flags.ts';

export const RELAY_USAGE = `  ferry relay <postgres-url> <broker-url> [--schema S] [--table T] [--batch N] [--max-batch-bytes N]
              [--poll-ms MS] [--retention-ms MS] [--send-timeout-ms MS]
      Publishes the committed rows of the PostgreSQL outbox (@ferry/postgres) through the broker,
      oldest first per key, until SIGTERM or SIGINT. Several relays may run at once.`;

/** Runs the relay; `signal` (default: SIGTERM or SIGINT to this process) stops it. Returns the exit code. */
export async function relayCommand(argv: string[], out: (line: string) => void, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...TABLE_FLAGS,
      batch: { type: 'string' },
      'max-batch-bytes': { type: 'string' },
      'poll-ms': { type: 'string' },
      'retention-ms': { type: 'string' },
      'send-timeout-ms': { type: 'string' },
    },
  });
  const [postgresUrl, brokerUrl] = positionals;
  if (!postgresUrl || !brokerUrl || positionals.length > 2) return -1;
  const options: RelayOptions = {
    batchSize: wholeNumber(values.batch, '--batch'),
    maxBatchBytes: wholeNumber(values['max-batch-bytes'], '--max-batch-bytes'),
    pollIntervalMs: wholeNumber(values['poll-ms'], '--poll-ms'),
    retentionMs: wholeNumber(values['retention-ms'], '--retention-ms', 0),
    sendTimeoutMs: wholeNumber(values['send-timeout-ms'], '--send-timeout-ms'),
  };
  const outbox = postgresOutbox({ connectionString: postgresUrl, schema: values.schema, table: values.table, maxConnections: 2 });
  const signals = signal ? undefined : processSignals();
  const stopping = signal ?? signals!.signal;
  try {
    const client = await createClient(brokerUrl);
    try {
      const relay = await outbox.startRelay(client, options);
      out(`relay running: ${outbox.table} at ${redactUrl(postgresUrl)} -> ${client.transport.name} at ${redactUrl(brokerUrl)} (pid ${process.pid}); SIGTERM or SIGINT stops it`);
      await Promise.race([relay.stopped, new Promise((resolve) => (stopping.aborted ? resolve(undefined) : stopping.addEventListener('abort', resolve, { once: true })))]);
      await relay.stop();
      const s = relay.stats();
      out(`relay stopped: ${s.sent} sent in ${s.batches} batches, ${s.failed} marked failed, ${s.sendFailures} failed sends retried`);
    } finally {
      await client.close();
    }
  } finally {
    signals?.dispose();
    await outbox.close();
  }
  return 0;
}

/** Aborted by the first SIGTERM or SIGINT; `dispose` removes the listeners. */
function processSignals(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const dispose = () => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  };
  const stop = () => {
    dispose();
    controller.abort();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return { signal: controller.signal, dispose };
}

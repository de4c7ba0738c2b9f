/** `ferry tail <url> <topic>`: prints what is published to a topic from now on, taking nothing from its groups. */
import { parseArgs } from 'node:util';
import { HEADERS, redactUrl } from '@ferry/core';
import { kafkaFor } from '../brokers/kafka.ts';
import { kafkaTap } from '../brokers/kafka-tap.ts';
import { amqpConnect } from '../brokers/rabbitmq.ts';
import { rabbitMqTap } from '../brokers/rabbitmq-tap.ts';
import type { Tap, Tapped } from '../brokers/tapped.ts';
import { adapterOptions, OPTIONS_FLAG, OPTIONS_USAGE } from './adapter-options.ts';
import { wholeNumber } from './flags.ts';
import { errorLine, untilStopped, type Io } from './io.ts';
import { Progress } from './progress.ts';

export const TAIL_USAGE = `  ferry tail <url> <topic> [--json] [--limit N] [--options JSON]
      Prints the messages published to <topic> from now on (pretty, or --json: one JSON object a
      line) until Ctrl-C or --limit messages. Takes nothing from the topic's groups: on Kafka a
      group of its own that never commits an offset, on RabbitMQ an exclusive auto-delete queue
      bound to the topic's exchange. SQS refuses: receiving from a queue takes its messages from
      the consumers. memory:// refuses: it lives inside one process.
      ${OPTIONS_USAGE}`;

/** Exit 0 once stopped, 1 when it could not start, 2 for bad usage or a transport it cannot tail. */
export async function run(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...OPTIONS_FLAG } });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${TAIL_USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.out(TAIL_USAGE);
    return 0;
  }
  const [url, topic, ...extra] = positionals;
  if (!url || !topic || extra.length > 0) {
    io.err(`ferry tail needs <url> <topic>.\n\n${TAIL_USAGE}`);
    return 2;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    io.err(`ferry tail: ${JSON.stringify(redactUrl(url))} is not a URL.`);
    return 2;
  }
  const refusal = refusals[parsed.protocol];
  if (refusal) {
    io.err(`ferry tail refuses ${parsed.protocol}// URLs: ${refusal}`);
    return 2;
  }
  const stop = untilStopped(signal);
  let tap: Tap | undefined;
  let seen = 0;
  let progress: Progress | undefined;
  try {
    const limit = wholeNumber(values.limit, '--limit');
    const options = await adapterOptions(values.options);
    let reachedLimit: () => void = () => undefined;
    const limited = new Promise<void>((resolve) => (reachedLimit = resolve));
    // With stdout redirected (`> file`, `| jq`), the count and rate on stderr say it is working.
    progress = process.stdout.isTTY ? undefined : new Progress('tailed');
    const onMessage = (m: Tapped) => {
      if (limit !== undefined && seen >= limit) return;
      seen += 1;
      progress?.add();
      if (values.json) io.out(JSON.stringify(asJson(m)));
      else for (const line of pretty(m)) io.out(line);
      if (limit !== undefined && seen >= limit) reachedLimit();
    };
    if (parsed.protocol === 'kafka:') tap = await kafkaTap(kafkaFor(parsed, options), topic, onMessage);
    else if (parsed.protocol === 'amqp:' || parsed.protocol === 'amqps:') tap = await rabbitMqTap(await amqpConnect(parsed, options), topic, onMessage);
    else {
      io.err(`ferry tail: no tap for ${parsed.protocol}// URLs (kafka://, amqp://, amqps://).`);
      return 2;
    }
    // On stderr, so that stdout holds only messages (`ferry tail ... --json | jq`).
    io.err(`tailing ${topic} at ${redactUrl(url)} (${tap.describe})${limit === undefined ? '' : `, ${limit} message(s)`}; Ctrl-C stops`);
    await Promise.race([stop.stopped, limited]);
    return 0;
  } catch (error) {
    io.err(errorLine(error));
    return 1;
  } finally {
    stop.dispose();
    await tap?.close().catch(() => undefined);
    const summary = progress?.finish();
    if (tap) io.err(summary ?? `tailed ${seen}`);
  }
}

const refusals: Record<string, string> = {
  'sqs:': 'a queue has no copy to spare. Receiving takes the message from the consumers (they would see it only after its visibility timeout, counted as a failed attempt). Use a second topic group on a broker with fan-out, or look at a message in the dead-letter queue with the AWS console.',
  'memory:': 'the in-process broker lives inside one process; nothing published by another process reaches this one. Subscribe in the process that publishes.',
};

function payloadOf(m: Tapped): unknown {
  const text = m.payload.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function asJson(m: Tapped): Record<string, unknown> {
  return { topic: m.topic, id: m.id, type: m.type, key: m.key, timestamp: new Date(m.timestamp).toISOString(), at: m.at, headers: m.headers, payload: payloadOf(m) };
}

function pretty(m: Tapped): string[] {
  const head = `${new Date(m.timestamp).toISOString()}  ${m.type || '(no type)'}  id=${m.id || '-'}${m.key === undefined ? '' : `  key=${m.key}`}  (${m.at})`;
  const headers = Object.entries(m.headers).filter(([name]) => name !== 'ferry-content-type');
  const lines = [head];
  if (headers.length > 0) lines.push(`  headers ${headers.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  lines.push(`  ${JSON.stringify(payloadOf(m))}`);
  return lines;
}

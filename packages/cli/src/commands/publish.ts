/** `ferry publish <url> <topic>`: one message from --json or --file, or one a line from stdin. */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createClient, FerryError, HEADERS, jsonCodec, redactUrl, type Client, type OutgoingMessage } from '@ferry/core';
import { adapterOptions, OPTIONS_FLAG, OPTIONS_USAGE } from './adapter-options.ts';
import { errorLine, type Io } from './io.ts';
import { Progress } from './progress.ts';

export const PUBLISH_USAGE = `  ferry publish <url> <topic> [--key K] [--header name=value ...] [--type T] [--id ID] [--groups A,B]
                (--json '<payload>' | --file payload.json | < lines.jsonl) [--options JSON]
      Publishes one JSON payload (--json, or the whole of --file), or one per line of stdin, and
      exits once the broker confirmed them all. --type defaults to the topic. --groups: the groups
      the topic keeps messages for, made to exist first where a broker keeps messages only for
      queues that exist (RabbitMQ, SQS; else such a publish is refused, FERRY_NO_GROUP).
      ${OPTIONS_USAGE}`;

export interface PublishIo extends Io {
  /** Lines of the payloads when neither --json nor --file is given (default: process.stdin). */
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** Exit 0 once confirmed, 1 when refused or unreachable, 2 for bad usage. */
export async function run(argv: string[], io: PublishIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { key: { type: 'string' }, groups: { type: 'string' }, header: { type: 'string', multiple: true }, type: { type: 'string' }, id: { type: 'string' }, json: { type: 'string' }, file: { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...OPTIONS_FLAG },
  });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${PUBLISH_USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.out(PUBLISH_USAGE);
    return 0;
  }
  const [url, topic, ...extra] = positionals;
  if (!url || !topic || extra.length > 0 || (values.json !== undefined && values.file !== undefined)) {
    io.err(`ferry publish needs <url> <topic> and at most one of --json and --file.\n\n${PUBLISH_USAGE}`);
    return 2;
  }
  const stdin = io.stdin ?? process.stdin;
  if (values.json === undefined && values.file === undefined && stdin.isTTY) {
    io.err(`ferry publish: give the payload with --json or --file, or pipe JSON lines to stdin.\n\n${PUBLISH_USAGE}`);
    return 2;
  }
  let client: Client | undefined;
  try {
    const headers = parseHeaders(values.header ?? []);
    const envelope = (payload: unknown, id?: string): OutgoingMessage => ({
      id: id ?? randomUUID(),
      type: values.type ?? topic,
      topic,
      key: values.key,
      headers: { ...headers, [HEADERS.contentType]: jsonCodec.contentType },
      payload: jsonCodec.encode(payload),
      timestamp: Date.now(),
    });
    const groups = values.groups?.split(',').map((g) => g.trim()).filter(Boolean) ?? [];
    client = await createClient(url, { transport: await adapterOptions(values.options), ...(groups.length > 0 ? { topics: { [topic]: { groups } } } : {}) });
    const producer = client.producer();
    if (values.json !== undefined || values.file !== undefined) {
      const text = values.json ?? (await readFile(values.file!, 'utf8'));
      const message = envelope(parseJson(text, values.json !== undefined ? '--json' : `--file ${values.file}`), values.id);
      await producer.publishEnvelopes([message]);
      io.out(`published ${message.id} to ${topic} at ${redactUrl(url)}`);
      return 0;
    }
    if (values.id !== undefined) throw new FerryError('FERRY_CONFIG', '--id names one message: use it with --json or --file, not with lines from stdin.');
    return await publishLines(stdin, (payload) => envelope(payload), (messages) => producer.publishEnvelopes(messages), io);
  } catch (error) {
    io.err(errorLine(error));
    return 1;
  } finally {
    await client?.close();
  }
}

/** One message per non-empty line, sent in batches of up to 500 lines as they arrive. */
async function publishLines(stdin: NodeJS.ReadableStream, envelope: (payload: unknown) => OutgoingMessage, send: (messages: OutgoingMessage[]) => Promise<void>, io: Io): Promise<number> {
  const progress = new Progress('published');
  let batch: OutgoingMessage[] = [];
  let line = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const sending = batch;
    batch = [];
    await send(sending);
    progress.add(sending.length);
  };
  try {
    for await (const text of createInterface({ input: stdin, crlfDelay: Infinity })) {
      line += 1;
      if (text.trim() === '') continue;
      batch.push(envelope(parseJson(text, `stdin line ${line}`)));
      if (batch.length >= 500) await flush();
    }
    await flush();
  } finally {
    io.out(progress.finish());
  }
  return 0;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new FerryError('FERRY_CONFIG', `${where} is not JSON (${(error as Error).message}). Quote the payload for the shell: --json '{"id": 1}'.`);
  }
}

function parseHeaders(pairs: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new FerryError('FERRY_CONFIG', `--header ${JSON.stringify(pair)} is not name=value.`);
    const name = pair.slice(0, at);
    if (name.startsWith('ferry-')) throw new FerryError('FERRY_CONFIG', `--header ${name}: names starting with "ferry-" are Ferry's own; pick another name.`);
    headers[name] = pair.slice(at + 1);
  }
  return headers;
}

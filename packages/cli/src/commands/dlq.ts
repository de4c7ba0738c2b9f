import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { createClient, FerryError, redactUrl, type Client, type DeadLetter, type DeadLetterSelector } from '@ferry/core';
import { asJson, detail, summary } from './dlq-render.ts';
import { duration } from './duration.ts';
import { wholeNumber } from './flags.ts';
import { objectAt, readJson } from './read-json.ts';
import { Progress, type ProgressStream } from './dlq-progress.ts';

export const USAGE = `ferry dlq list|show|redrive|purge <url> <dead-letter-topic> [options]
    A dead-letter topic (e.g. orders.dlq) that does not exist is an error (exit 1); nothing is created.
  list      counts, grouped by reason (kind: reason), type and original topic, then one line each;
            reads without consuming (each is given back; on Kafka no offset is committed)
            [--max N (default 10000)] [--json]
  show      one dead letter in full: headers, reason, zod issues, stack, payload (JSON, text, or
            base64 when the bytes are not UTF-8)   [--index N (as list numbers them, default 1) | --id ID] [--json]
  redrive   back to the topic each came from; the others stay   [--reason R] [--type T] [--topic T]
            [--older-than 10m] [--limit N] [--dry-run]   (ferry redrive <url> <dlq> is the same)
  purge     removes them for good (same filters); asks first, or needs --yes when not on a terminal
    --reason R      kind (decode, schema, handler, timeout…) equals R, or the reason contains R
    --older-than D  dead-lettered at least D ago (90s, 10m, 2h, 7d)
    --idle-ms MS    stop reading once nothing arrived for MS (default 2000)
    --options JSON  adapter options, inline or @file.json (e.g. {"waitTimeSeconds":1} for SQS)`;

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Progress of redrive/purge (default stderr): rewritten in place on a terminal, plain lines otherwise. */
  progress?: ProgressStream;
  /** Asks a yes/no question; undefined when there is no terminal to ask on (default: stdin's TTY). */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
}

const OPTIONS = {
  max: { type: 'string' },
  json: { type: 'boolean' },
  index: { type: 'string' },
  id: { type: 'string' },
  reason: { type: 'string' },
  type: { type: 'string' },
  topic: { type: 'string' },
  'older-than': { type: 'string' },
  limit: { type: 'string' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  'idle-ms': { type: 'string' },
  options: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `ferry dlq <sub> <url> <topic>`: 0 done, 1 failed (unknown topic, broker error), 2 bad usage. */
export async function run(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [sub, url, topic] = positionals;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (!sub || !['list', 'show', 'redrive', 'purge'].includes(sub) || !url || !topic) {
    io.err(`ferry dlq needs list|show|redrive|purge, a URL and a dead-letter topic.\n\n${USAGE}`);
    return 2;
  }
  let client: Client | undefined;
  try {
    const idleMs = wholeNumber(values['idle-ms'], '--idle-ms') ?? 2000;
    const limit = wholeNumber(values.limit, '--limit');
    const select: DeadLetterSelector = { reason: values.reason, type: values.type, originalTopic: values.topic, olderThanMs: duration(values['older-than'], '--older-than') };
    const transport = values.options === undefined ? {} : objectAt({ transport: await readJson(values.options, '--options') }, 'transport', '--options');
    client = await createClient(url, { transport });
    const where = `${topic} on ${client.transport.name} (${redactUrl(url)})`;
    if (sub === 'list' || sub === 'show') {
      const max = wholeNumber(values.max, '--max') ?? 10_000;
      const index = wholeNumber(values.index, '--index');
      const { deadLetters, more } = await client.inspectDeadLetters({ deadLetterTopic: topic, idleMs, max });
      if (sub === 'list') {
        if (values.json) io.out(JSON.stringify({ topic, count: deadLetters.length, more, deadLetters: deadLetters.map((d, i) => asJson(d, i + 1)) }));
        else for (const line of summary(topic, client.transport.name, deadLetters, more)) io.out(line);
        return 0;
      }
      const found = pick(deadLetters, values.id, index ?? 1);
      if (!found) {
        io.err(`No dead letter ${values.id === undefined ? `#${index ?? 1}` : `with id ${values.id}`} in ${where}: it has ${deadLetters.length}. Run ferry dlq list to see them.`);
        return 1;
      }
      if (values.json) io.out(JSON.stringify(asJson(found.letter, found.index)));
      else for (const line of detail(found.letter, found.index, topic)) io.out(line);
      return 0;
    }
    const progress = new Progress(io.progress ?? process.stderr, sub === 'purge' ? 'purged' : values['dry-run'] ? 'would redrive' : 'redriven');
    if (sub === 'redrive') {
      const dryRun = values['dry-run'] === true;
      const result = await client.redrive({ deadLetterTopic: topic, idleMs, ...(limit === undefined ? {} : { limit }), select, dryRun, onProgress: (p) => progress.update(p.redriven, p.skipped) });
      progress.done();
      io.out(dryRun ? `dry run: would redrive ${result.redriven}, leave ${result.skipped}, in ${topic}; nothing changed` : `redriven ${result.redriven}, left ${result.skipped}, from ${topic}`);
      return 0;
    }
    if (!values.yes) {
      const confirm = 'confirm' in io ? io.confirm : process.stdin.isTTY ? askOnTerminal : undefined;
      if (!confirm) {
        io.err(`ferry dlq purge removes dead letters of ${where} for good: pass --yes (there is no terminal to ask on).`);
        return 2;
      }
      if (!(await confirm(`Remove ${describeSelection(select)} dead letters of ${where} for good? [y/N] `))) {
        io.out('nothing removed');
        return 1;
      }
    }
    const result = await client.purgeDeadLetters({ deadLetterTopic: topic, idleMs, ...(limit === undefined ? {} : { limit }), select, onProgress: (p) => progress.update(p.purged, p.skipped) });
    progress.done();
    io.out(`purged ${result.purged}, left ${result.skipped}, from ${topic}`);
    return 0;
  } catch (error) {
    io.err(error instanceof FerryError ? `${error.code}: ${error.message}` : `error: ${(error as Error).message}`);
    return 1;
  } finally {
    await client?.close();
  }
}

function pick(letters: readonly DeadLetter[], id: string | undefined, index: number): { letter: DeadLetter; index: number } | undefined {
  if (id !== undefined) {
    const i = letters.findIndex((d) => d.id === id);
    return i < 0 ? undefined : { letter: letters[i]!, index: i + 1 };
  }
  const letter = letters[index - 1];
  return letter ? { letter, index } : undefined;
}

function describeSelection(select: DeadLetterSelector): string {
  const parts = Object.entries(select).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length === 0 ? 'all' : `the (${parts.join(', ')})`;
}

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

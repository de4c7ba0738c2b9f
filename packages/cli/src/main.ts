import { parseArgs } from 'node:util';
import { createClient, FerryError } from '@ferry/core';
import { adapterOptions } from './commands/adapter-options.ts';
import { CAPABILITIES_USAGE } from './commands/capabilities.ts';
import { DOCTOR_USAGE } from './commands/doctor.ts';
import { OUTBOX_USAGE, outboxCommands } from './commands/outbox-commands.ts';
import { PUBLISH_USAGE } from './commands/publish.ts';
import { TAIL_USAGE } from './commands/tail.ts';

const USAGE = `ferry: operate Ferry topics from the shell

${DOCTOR_USAGE}

${CAPABILITIES_USAGE}

${PUBLISH_USAGE}

${TAIL_USAGE}

  ferry redrive <url> <dead-letter-topic> [--limit N] [--idle-ms MS] [--options JSON]
      Moves dead letters back to the topic they came from, then stops when none arrived for
      --idle-ms (default 2000) or after --limit messages.

${OUTBOX_USAGE}

URLs: memory://  kafka://host:9092  amqp://user:pass@host:5672/vhost  sqs://key:secret@region?endpoint=...
Every command taking one broker URL takes --options '<json>' or --options @file.json: the adapter's
options (docs/adapters/<name>.md), default the FERRY_OPTIONS environment variable (same forms).
Reference and examples: docs/cli.md`;

/** Runs one command; returns the process exit code. Output goes to `out`, errors to `err`. */
export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  const outbox = outboxCommands(argv, out, err);
  if (outbox) return outbox;
  if (argv[0] === 'bridge') return (await import('./commands/bridge.ts')).run(argv.slice(1), { out, err });
  if (argv[0] === 'migrate-check') return (await import('./commands/migrate-check.ts')).run(argv.slice(1), { out, err });
  if (argv[0] === 'doctor') return (await import('./commands/doctor.ts')).run(argv.slice(1), { out, err });
  if (argv[0] === 'capabilities') return (await import('./commands/capabilities.ts')).run(argv.slice(1), { out, err });
  if (argv[0] === 'publish') return (await import('./commands/publish.ts')).run(argv.slice(1), { out, err });
  if (argv[0] === 'tail') return (await import('./commands/tail.ts')).run(argv.slice(1), { out, err });
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { limit: { type: 'string' }, 'idle-ms': { type: 'string' }, options: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, url, topic] = positionals;
  if (values.help || !command) {
    out(USAGE);
    return command || values.help ? 0 : 2;
  }
  try {
    if (command === 'redrive' && url && topic) {
      const limit = values.limit === undefined ? undefined : positiveInt(values.limit, '--limit');
      const idleMs = values['idle-ms'] === undefined ? 2000 : positiveInt(values['idle-ms'], '--idle-ms');
      const client = await createClient(url, { transport: await adapterOptions(values.options) });
      try {
        const result = await client.redrive({ deadLetterTopic: topic, idleMs, ...(limit === undefined ? {} : { limit }) });
        out(`redriven ${result.redriven}, left ${result.skipped}, from ${topic}`);
      } finally {
        await client.close();
      }
      return 0;
    }
    err(`Unknown or incomplete command: ${argv.join(' ')}\n\n${USAGE}`);
    return 2;
  } catch (error) {
    err(error instanceof FerryError ? `${error.code}: ${error.message}` : `error: ${(error as Error).message}`);
    return 1;
  }
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new FerryError('FERRY_CONFIG', `${flag} must be a whole number >= 1, got ${JSON.stringify(text)}.`);
  return n;
}

import { parseArgs } from 'node:util';
import { CAPABILITIES_USAGE } from './commands/capabilities.ts';
import { USAGE as DLQ_USAGE } from './commands/dlq.ts';
import { DOCTOR_USAGE } from './commands/doctor.ts';
import { OUTBOX_USAGE, outboxCommands } from './commands/outbox-commands.ts';
import { PUBLISH_USAGE } from './commands/publish.ts';
import { TAIL_USAGE } from './commands/tail.ts';

const USAGE = `ferry: operate Ferry topics from the shell

${DOCTOR_USAGE}

${CAPABILITIES_USAGE}

${PUBLISH_USAGE}

${TAIL_USAGE}

  ${DLQ_USAGE}

${OUTBOX_USAGE}

  ferry bridge <from-url> <to-url> <topic...> [options]
      Copies topics from one broker to another while both run (ferry bridge --help; docs/migration.md).

  ferry migrate-check <from-url> <to-url> [--usage <file.json>]
      What a move between the two brokers keeps and loses (ferry migrate-check --help; docs/migration.md).

URLs: memory://  kafka://host:9092  amqp://user:pass@host:5672/vhost  sqs://key:secret@region?endpoint=...
Every command taking one broker URL takes --options '<json>' or --options @file.json: the adapter's
options (docs/adapters/<name>.md), default the FERRY_OPTIONS environment variable (same forms).
Reference and examples: docs/cli.md`;

/** Runs one command; returns the process exit code. Output goes to `out`, errors to `err`. */
export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  const outbox = outboxCommands(argv, out, err);
  if (outbox) return outbox;
  const io = { out, err };
  if (argv[0] === 'bridge') return (await import('./commands/bridge.ts')).run(argv.slice(1), io);
  if (argv[0] === 'migrate-check') return (await import('./commands/migrate-check.ts')).run(argv.slice(1), io);
  if (argv[0] === 'doctor') return (await import('./commands/doctor.ts')).run(argv.slice(1), io);
  if (argv[0] === 'capabilities') return (await import('./commands/capabilities.ts')).run(argv.slice(1), io);
  if (argv[0] === 'publish') return (await import('./commands/publish.ts')).run(argv.slice(1), io);
  if (argv[0] === 'tail') return (await import('./commands/tail.ts')).run(argv.slice(1), io);
  // `ferry redrive` is the older spelling of `ferry dlq redrive`.
  if (argv[0] === 'dlq' || argv[0] === 'redrive') return (await import('./commands/dlq.ts')).run(argv[0] === 'dlq' ? argv.slice(1) : argv, io);
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false, options: { help: { type: 'boolean', short: 'h' } } });
  const [command] = positionals;
  if (values.help || !command) {
    out(USAGE);
    return command || values.help ? 0 : 2;
  }
  err(`Unknown or incomplete command: ${argv.join(' ')}\n\n${USAGE}`);
  return 2;
}

import { parseArgs } from 'node:util';
import { createClient, FerryError, redactUrl, type Capabilities } from '@ferry/core';
import { OUTBOX_USAGE, outboxCommands } from './commands/outbox-commands.ts';
import { USAGE as DLQ_USAGE } from './commands/dlq.ts';

const USAGE = `ferry: operate Ferry topics from the shell

  ferry capabilities <url>
      What the transport behind <url> can do (ordering, replay, delay, priority, limits).

  ${DLQ_USAGE}

${OUTBOX_USAGE}

URLs: memory://  kafka://host:9092  amqp://user:pass@host:5672/vhost  sqs://region?endpoint=...`;

/** Runs one command; returns the process exit code. Output goes to `out`, errors to `err`. */
export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  const outbox = outboxCommands(argv, out, err);
  if (outbox) return outbox;
  if (argv[0] === 'bridge') return (await import('./commands/bridge.ts')).run(argv.slice(1), { out, err });
  if (argv[0] === 'dlq' || argv[0] === 'redrive') return (await import('./commands/dlq.ts')).run(argv[0] === 'dlq' ? argv.slice(1) : argv, { out, err });
  if (argv[0] === 'migrate-check') return (await import('./commands/migrate-check.ts')).run(argv.slice(1), { out, err });
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  const [command, url] = positionals;
  if (values.help || !command) {
    out(USAGE);
    return command || values.help ? 0 : 2;
  }
  try {
    if (command === 'capabilities' && url) {
      const client = await createClient(url);
      try {
        out(`${client.transport.name} (${redactUrl(url)})`);
        for (const line of describe(client.capabilities)) out(`  ${line}`);
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

export function describe(c: Capabilities): string[] {
  return [
    `per-key ordering   ${c.orderingByKey ? 'yes' : 'no'}`,
    `fan-out (groups)   ${c.fanOut ? 'yes' : 'no: one group per topic'}`,
    `replay             ${c.replay.length ? c.replay.join(', ') : 'no'}`,
    `delay              ${c.delay ? `up to ${c.delay.maxMs} ms` : 'no'}`,
    `priority           ${c.priority ? `0..${c.priority.max}` : 'no'}`,
    `native dead letter ${c.nativeDeadLetter ? 'yes' : 'no (Ferry dead-letter topic)'}`,
    `transactions       ${c.transactions ? 'yes' : 'no'}`,
    `max message        ${c.maxMessageBytes} bytes`,
  ];
}

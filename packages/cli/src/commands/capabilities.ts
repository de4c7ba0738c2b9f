/** `ferry capabilities <url>`: what the transport can do, after making sure the broker answers (unless --offline). */
import { parseArgs } from 'node:util';
import { createClient, redactUrl, silentLogger, type Capabilities, type Client } from '@ferry/core';
import { fastFailOptions, reach, within } from '../brokers/reach.ts';
import { adapterOptions, OPTIONS_FLAG, OPTIONS_USAGE } from './adapter-options.ts';
import { diagnose } from './diagnose.ts';
import { errorLine, type Io } from './io.ts';

export const CAPABILITIES_USAGE = `  ferry capabilities <url> [--offline] [--options JSON]
      What the transport behind <url> can do (ordering, replay, delay, priority, limits), once it
      connected (exit 1 with the fix when it cannot). --offline: from the URL and options alone.
      ${OPTIONS_USAGE}`;

export async function run(argv: string[], io: Io): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { offline: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...OPTIONS_FLAG } });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${CAPABILITIES_USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.out(CAPABILITIES_USAGE);
    return 0;
  }
  const [url, ...extra] = positionals;
  if (!url || extra.length > 0) {
    io.err(`ferry capabilities needs one <url>.\n\n${CAPABILITIES_USAGE}`);
    return 2;
  }
  let client: Client | undefined;
  try {
    const given = await adapterOptions(values.options);
    const parsed = new URL(url);
    client = await createClient(url, { transport: values.offline ? given : fastFailOptions(parsed, given), logger: silentLogger });
    if (!values.offline) {
      try {
        await within(15_000, `connecting to ${redactUrl(url)}`, reach(client, parsed, given));
      } catch (error) {
        const d = diagnose(error, parsed);
        io.err(`cannot connect: ${d.problem}\n  fix: ${d.fix}\n  ${errorLine(error)}`);
        return 1;
      }
    }
    io.out(`${client.transport.name} (${redactUrl(url)})${values.offline ? ', offline: not connected' : ''}`);
    for (const line of describe(client.capabilities)) io.out(`  ${line}`);
    return 0;
  } catch (error) {
    io.err(errorLine(error));
    return 1;
  } finally {
    await client?.close().catch(() => undefined);
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

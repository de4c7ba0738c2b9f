import { parseArgs } from 'node:util';
import { createClient, FerryError, migrateCheck, parseMigrationUsage, redactText, redactUrl, type Client, type MigrationUsage } from '@ferry/core';
import type { Io } from './bridge.ts';
import { objectAt, readJson } from './read-json.ts';

export const USAGE = `ferry migrate-check <from-url> <to-url> [--usage <file.json>] [--options JSON] [--json]
    What moving from one broker to the other would refuse or change, for what the application uses
    (--usage: {"consumers": [{"group", "delivery", "orderedByKey", "start", "retry"}], "topics": {...},
    "groupsPerTopic", "publishes": {"maxDelayMs", "maxPriority", "maxMessageBytes", "keyed"}}), or
    without it for every capability the source has and the target lacks. Connects to neither.
    --options {"from": {adapter options}, "to": {adapter options}} (e.g. {"to": {"fifoTopics": ["*"]}}).
    Exit 0: nothing refused; 1: something would be refused; 2: bad input.`;

/** `ferry migrate-check`. */
export async function run(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { usage: { type: 'string' }, options: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const [fromUrl, toUrl, ...extra] = positionals;
  if (!fromUrl || !toUrl || extra.length > 0) {
    io.err(`ferry migrate-check needs exactly <from-url> <to-url>.\n\n${USAGE}`);
    return 2;
  }
  const clients: Client[] = [];
  try {
    const usage: MigrationUsage | undefined = values.usage === undefined ? undefined : parseMigrationUsage(await readJson(values.usage.startsWith('@') ? values.usage : `@${values.usage}`, '--usage'));
    const options = values.options === undefined ? {} : await readJson(values.options, '--options');
    // Made, never connected: the capabilities are declared by the adapters and their options.
    const from = await createClient(fromUrl, { transport: objectAt(options, 'from', '--options') });
    clients.push(from);
    const to = await createClient(toUrl, { transport: objectAt(options, 'to', '--options') });
    clients.push(to);
    const findings = migrateCheck(from.transport, to.transport, usage);
    const refused = findings.filter((f) => f.severity === 'refused').length;
    if (values.json) {
      io.out(JSON.stringify({ from: { url: redactUrl(fromUrl), transport: from.transport.name }, to: { url: redactUrl(toUrl), transport: to.transport.name }, findings }));
    } else {
      io.out(`${from.transport.name} (${redactUrl(fromUrl)}) -> ${to.transport.name} (${redactUrl(toUrl)})${usage ? '' : ', every capability (no --usage given)'}`);
      if (findings.length === 0) io.out('  nothing the capabilities tell stands in the way');
      for (const f of findings) {
        io.out(`  ${f.severity.padEnd(8)} ${f.feature}: ${f.detail}`);
        io.out(`           fix: ${f.fix}`);
      }
      io.out(`${refused} refused, ${findings.length - refused} behaving differently`);
    }
    return refused > 0 ? 1 : 0;
  } catch (error) {
    io.err(error instanceof FerryError ? `${error.code}: ${error.message}` : `error: ${redactText((error as Error).message)}`);
    return 2;
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

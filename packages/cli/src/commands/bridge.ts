import { parseArgs } from 'node:util';
import { bridge, BRIDGE_GROUP, createClient, FerryError, redactText, redactUrl, type BridgeProgress, type Client } from '@ferry/core';
import { objectAt, readJson } from './read-json.ts';

export const USAGE = `ferry bridge <from-url> <to-url> <topic...> [options]
    Copies the topics from one broker to another, live: consumed at the source at least once (its
    own group), republished keeping id, type, key, headers and timestamp, acknowledged at the source
    only after the destination confirmed. Runs until SIGINT/SIGTERM (publishes under way finish, the
    rest goes back to the source), or until --idle-ms without messages.
      --group G          the bridge's group at the source (default ${BRIDGE_GROUP}; on SQS, the queue's group)
      --to-groups A,B    groups each topic keeps messages for at the destination (RabbitMQ, SQS)
      --json             progress as JSON lines
      --interval-ms MS   progress every MS (default 1000)
      --idle-ms MS       stop once nothing arrived for MS and everything was copied
      --batch-size N     messages per publish (default 1000); --max-in-flight N held per topic (default 5000)
      --options JSON     {"from": {adapter options}, "to": {adapter options}}, inline or @file.json`;

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** `ferry bridge`: exit 0 once stopped, 1 when it could not start, 2 for bad usage. */
export async function run(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        group: { type: 'string' },
        'to-groups': { type: 'string' },
        json: { type: 'boolean' },
        'interval-ms': { type: 'string' },
        'idle-ms': { type: 'string' },
        'batch-size': { type: 'string' },
        'max-in-flight': { type: 'string' },
        options: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [fromUrl, toUrl, ...topics] = positionals;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (!fromUrl || !toUrl || topics.length === 0) {
    io.err(`ferry bridge needs <from-url> <to-url> and at least one topic.\n\n${USAGE}`);
    return 2;
  }
  const clients: Client[] = [];
  try {
    const options = values.options === undefined ? {} : await readJson(values.options, '--options');
    const toGroups = values['to-groups']?.split(',').map((g) => g.trim()).filter(Boolean);
    const from = await createClient(fromUrl, { transport: objectAt(options, 'from', '--options') });
    clients.push(from);
    const to = await createClient(toUrl, {
      transport: objectAt(options, 'to', '--options'),
      ...(toGroups?.length ? { topics: Object.fromEntries(topics.map((t) => [t, { groups: toGroups }])) } : {}),
    });
    clients.push(to);
    const print = values.json ? (p: BridgeProgress, event: string) => io.out(JSON.stringify({ event, ...p })) : (p: BridgeProgress, event: string) => io.out(line(p, event));
    if (!values.json) io.out(`bridge ${redactUrl(fromUrl)} -> ${redactUrl(toUrl)}: ${topics.join(', ')} (group ${values.group ?? BRIDGE_GROUP})`);
    const running = await bridge({
      from,
      to,
      topics,
      group: values.group,
      batchSize: optionalInt(values['batch-size'], '--batch-size'),
      maxInFlight: optionalInt(values['max-in-flight'], '--max-in-flight'),
      idleMs: optionalInt(values['idle-ms'], '--idle-ms'),
      progressIntervalMs: optionalInt(values['interval-ms'], '--interval-ms'),
      onProgress: (p) => print(p, 'progress'),
      onError: (error) => io.err(values.json ? JSON.stringify({ event: 'retry', error: describe(error) }) : `retrying: ${describe(error)}`),
    });
    if (values.json) io.out(JSON.stringify({ event: 'started', from: redactUrl(fromUrl), to: redactUrl(toUrl), topics, group: values.group ?? BRIDGE_GROUP }));
    const stopOnSignal = () => void running.stop();
    process.once('SIGINT', stopOnSignal);
    process.once('SIGTERM', stopOnSignal);
    try {
      print(await running.done, 'stopped');
    } finally {
      process.off('SIGINT', stopOnSignal);
      process.off('SIGTERM', stopOnSignal);
    }
    return 0;
  } catch (error) {
    io.err(describe(error));
    return 1;
  } finally {
    await Promise.allSettled(clients.map((c) => c.close({ timeoutMs: 5_000 })));
  }
}

function line(p: BridgeProgress, event: string): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const parts = [`${event === 'stopped' ? 'stopped: ' : ''}copied ${n(p.copied)}`, `${n(p.rate)} msg/s`, `lag ${p.lag === undefined ? 'n/a' : n(p.lag)}`, `in flight ${n(p.inFlight)}`];
  if (p.refused > 0) parts.push(`refused ${n(p.refused)} (dead-lettered at the source)`);
  if (p.retries > 0) parts.push(`retries ${n(p.retries)}`);
  parts.push(`${Math.round(p.elapsedMs / 1000)} s`);
  return parts.join('  ');
}

function describe(error: unknown): string {
  return error instanceof FerryError ? `${error.code}: ${error.message}` : `error: ${redactText(error instanceof Error ? error.message : String(error))}`;
}

function optionalInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new FerryError('FERRY_CONFIG', `${flag} must be a whole number >= 1, got ${JSON.stringify(text)}.`);
  return n;
}

/** `ferry doctor <url>`: can this application use this broker, and how fast does it answer. */
import { parseArgs } from 'node:util';
import { createClient, redactUrl, silentLogger, type Client } from '@ferry/core';
import { fastFailOptions, reach, within } from '../brokers/reach.ts';
import { adapterOptions, OPTIONS_FLAG, OPTIONS_USAGE } from './adapter-options.ts';
import { describe } from './capabilities.ts';
import { diagnose } from './diagnose.ts';
import { checkTopic } from './doctor-checks.ts';
import { cleanUp, probeNames, roundTrip } from './doctor-probe.ts';
import { wholeNumber } from './flags.ts';
import { errorLine, type Io } from './io.ts';

export const DOCTOR_USAGE = `  ferry doctor <url> [--topic T [--group G]] [--no-probe] [--timeout-ms MS] [--options JSON]
      Connects (checking the credentials), declares a probe topic with a group queue and a
      dead-letter queue, sends one message through it and deletes it all again (checking the
      permissions), then prints the latencies and the capabilities. --topic/--group: also looks
      at a real topic, group queue and dead-letter queue, read-only. Exit 1 with the fix when
      something is wrong. --timeout-ms: longest each step may take (default 15000).
      ${OPTIONS_USAGE}`;

export async function run(argv: string[], io: Io): Promise<number> {
  let args;
  try {
    args = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { topic: { type: 'string' }, group: { type: 'string' }, 'no-probe': { type: 'boolean' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...OPTIONS_FLAG },
  });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${DOCTOR_USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.out(DOCTOR_USAGE);
    return 0;
  }
  const [url, ...extra] = positionals;
  if (!url || extra.length > 0 || (values.group !== undefined && values.topic === undefined)) {
    io.err(`ferry doctor needs one <url> (and --topic with --group).\n\n${DOCTOR_USAGE}`);
    return 2;
  }
  let parsed: URL;
  let given: Record<string, unknown>;
  let timeoutMs: number;
  try {
    parsed = new URL(url);
    given = await adapterOptions(values.options);
    timeoutMs = wholeNumber(values['timeout-ms'], '--timeout-ms') ?? 15_000;
  } catch (error) {
    io.err(errorLine(error));
    return 2;
  }
  io.out(`ferry doctor ${redactUrl(url)}`);
  let failed = false;
  const report = (status: 'ok' | 'warn' | 'FAIL', what: string, detail: string) => io.out(`  ${status.padEnd(5)} ${what.padEnd(16)} ${detail}`);
  const fail = (what: string, error: unknown) => {
    failed = true;
    const d = diagnose(error, parsed);
    report('FAIL', what, d.problem);
    io.out(`        fix: ${d.fix}`);
    io.out(`        ${errorLine(error)}`);
  };
  let client: Client | undefined;
  try {
    client = await createClient(url, { transport: fastFailOptions(parsed, given), logger: silentLogger });
    const t = Date.now();
    try {
      await within(timeoutMs, `connecting to ${redactUrl(url)}`, reach(client, parsed, given));
      report('ok', 'connect', `${Date.now() - t} ms (${client.transport.name})`);
    } catch (error) {
      fail('connect', error);
      return 1;
    }
    if (!values['no-probe']) {
      const names = probeNames();
      let step = '';
      try {
        const times = await roundTrip(client, names, timeoutMs, (s) => (step = s));
        report('ok', 'declare', `${times.declareMs} ms: probe topic ${times.topic}, its group queue and dead-letter queue${parsed.protocol === 'kafka:' ? ' (includes joining the group)' : ''}`);
        report('ok', 'publish', `${times.publishMs} ms until the broker confirmed`);
        report('ok', 'round trip', `${times.roundTripMs} ms from publish to delivery`);
      } catch (error) {
        fail(`probe ${step}`, error);
      }
      try {
        report('ok', 'clean up', await within(timeoutMs, 'deleting the probe', cleanUp(parsed, given, names)));
      } catch (error) {
        report('warn', 'clean up', `could not delete the probe objects named ${names.topic}*: ${errorLine(error)}`);
      }
    }
    if (values.topic !== undefined) {
      try {
        for (const f of await within(timeoutMs, `looking at ${values.topic}`, checkTopic(parsed, given, values.topic, values.group))) {
          if (f.status === 'FAIL') failed = true;
          report(f.status, f.what, f.detail);
        }
      } catch (error) {
        fail(`topic ${values.topic}`, error);
      }
    }
    io.out('  capabilities');
    for (const line of describe(client.capabilities)) io.out(`    ${line}`);
    io.out(failed ? 'something is wrong: see FAIL above' : 'all checks passed');
    return failed ? 1 : 0;
  } catch (error) {
    io.err(errorLine(error));
    return 1;
  } finally {
    await client?.close({ timeoutMs: 5_000 }).catch(() => undefined);
  }
}

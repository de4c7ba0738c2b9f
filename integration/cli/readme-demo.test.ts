import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { endpointsFromEnv, ferryUrls } from '../harness/index.ts';
import { ROOT } from './run-cli.ts';

// The README's demo lines, as written: `pnpm demo`, then `FERRY_URL=<url> pnpm demo` per broker.
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const brokerLines = [...readme.matchAll(/^FERRY_URL=(\S+) pnpm demo\b.*$/gm)].map((m) => ({ line: m[0].replace(/\s+#.*$/, ''), url: m[1]!.replace(/^'|'$/g, '') }));

/** The line with the README's URL replaced by the harness's when the brokers answer elsewhere (containers, FERRY_* env). */
function asRun(line: string, url: string): string {
  const scheme = new URL(url).protocol;
  const ours = Object.values(ferryUrls(endpointsFromEnv())).find((u) => new URL(u).protocol === scheme);
  return ours && ours !== url ? line.replace(url, ours) : line;
}

describe('the README demo lines', () => {
  it('name memory, Kafka, RabbitMQ and SQS', () => {
    expect(readme).toMatch(/&& pnpm demo\s+# the demo, on the in-process transport/);
    expect(brokerLines.map((l) => new URL(l.url).protocol).sort()).toEqual(['amqp:', 'kafka:', 'sqs:']);
    // They are the lines `pnpm brokers start` prints for the harness's default ports.
    const printed = Object.values(ferryUrls({ kafka: { brokers: ['127.0.0.1:9092'] }, amqp: { url: 'amqp://guest:guest@127.0.0.1:5672' }, sqs: { endpoint: 'http://127.0.0.1:9324', region: 'us-east-1', accessKeyId: 'ferry', secretAccessKey: 'ferry' } }));
    expect(brokerLines.map((l) => l.url).sort()).toEqual(printed.sort());
  });

  const cases = [{ name: 'memory', line: 'pnpm demo', url: 'memory://' }, ...brokerLines.map((l) => ({ name: new URL(l.url).protocol.replace(':', ''), line: l.line, url: l.url }))];
  for (const c of cases) {
    it(`${c.name}: \`${c.line}\` exits 0`, async () => {
      const line = c.name === 'memory' ? c.line : asRun(c.line, c.url);
      const started = Date.now();
      const { code, output } = await sh(line);
      // The time each took, for the record (docs/cli.md); not asserted: the machines are shared.
      process.stdout.write(`[readme-demo] ${c.name}: exit ${code} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      expect(code, output).toBe(0);
      expect(output).toMatch(/processed/i);
    }, 240_000);
  }
});

function sh(line: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const { FERRY_URL: _ignored, ...env } = process.env;
    const child = spawn('sh', ['-c', line], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}


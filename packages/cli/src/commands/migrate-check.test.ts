import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './migrate-check.ts';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } };
}

const dir = mkdtempSync(path.join(tmpdir(), 'ferry-migrate-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, value: unknown) => {
  const p = path.join(dir, name);
  writeFileSync(p, JSON.stringify(value));
  return p;
};

// The transports are made, not connected: no broker needs to run.
const kafka = 'kafka://127.0.0.1:9092';
const sqs = 'sqs://ferry:secret-key@us-east-1?endpoint=http%3A%2F%2F127.0.0.1%3A9324';

describe('ferry migrate-check', () => {
  it('without usage lists what the target lacks, and exits 1 when something would be refused', async () => {
    const { out, io: streams } = io();
    expect(await run([kafka, sqs], streams)).toBe(1);
    const text = out.join('\n');
    expect(text).toMatch(/^kafka \(kafka:\/\/127\.0\.0\.1:9092\) -> sqs \(sqs:\/\/ferry:\*\*\*@us-east-1/);
    expect(text).toMatch(/refused\s+fan-out: sqs gives one group per topic/);
    expect(text).toMatch(/refused\s+replay/);
    expect(text).not.toContain('secret-key');
  });

  it('with a usage file names only what the application uses; the topics option counts groups per topic', async () => {
    const fine = file('fine.json', { consumers: [{ group: 'billing', delivery: 'at-least-once' }], publishes: { maxDelayMs: 60_000 } });
    expect(await run([kafka, sqs, '--usage', fine], io().io)).toBe(0);
    const fanOut = file('fan-out.json', { consumers: [{ group: 'billing' }], topics: { orders: { groups: ['billing', 'shipping'] } } });
    const { out, io: streams } = io();
    expect(await run([kafka, sqs, '--usage', fanOut, '--json'], streams)).toBe(1);
    const report = JSON.parse(out[0]!) as { findings: Array<{ severity: string; feature: string }> };
    expect(report.findings.map((f) => `${f.severity}:${f.feature}`)).toEqual(['refused:fan-out']);
  });

  it('adapter options change the target (FIFO topics keep key order), and a bad usage file names the field', async () => {
    const keyed = file('keyed.json', { consumers: [{ group: 'billing', orderedByKey: true }] });
    expect(await run([kafka, sqs, '--usage', keyed], io().io)).toBe(1);
    expect(await run([kafka, sqs, '--usage', keyed, '--options', '{"to": {"fifoTopics": ["*"]}}'], io().io)).toBe(0);
    const bad = io();
    expect(await run([kafka, sqs, '--usage', file('bad.json', { consumers: [{ grup: 'x' }] })], bad.io)).toBe(2);
    expect(bad.err[0]).toMatch(/FERRY_CONFIG: Invalid option `usage\.consumers\.0/);
  });
});

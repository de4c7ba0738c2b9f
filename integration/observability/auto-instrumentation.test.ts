/**
 * Ferry's spans with the kafkajs, amqplib and AWS SDK auto-instrumentations enabled, on each broker
 * (docs/observability.md, "With the client libraries' instrumentations"). Each run is a child
 * process preloaded the way an application sets up OpenTelemetry (auto-preload.ts), so the
 * instrumentations really patch the libraries before Ferry's adapters load them; a raw send with
 * the library in the same process proves they did.
 *
 * The parentage shown: one trace per message from Ferry's send span through every attempt, the
 * dead letter and the redrive, with a single trace context in the headers (Ferry's). The
 * libraries record no producer span of their own under Ferry (suppressed); their consumer-side
 * spans stay, tied to Ferry's send span by the same header, and Ferry's process spans link to
 * the one active when the message was handed over.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BROKERS, type Broker } from './brokers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const FERRY = '@ferry/opentelemetry';
const LIBRARY: Record<Broker['name'], string> = {
  kafka: '@opentelemetry/instrumentation-kafkajs',
  rabbitmq: '@opentelemetry/instrumentation-amqplib',
  sqs: '@opentelemetry/instrumentation-aws-sdk',
};

interface SpanJson {
  name: string;
  kind: string;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  links: Array<{ traceId: string; spanId: string; type?: string }>;
}

interface ChildResult {
  id: string;
  topic: string;
  redriven: { redriven: number; skipped: number };
  seen: Array<{ attempt: number; traceparent?: string }>;
  wire: string | undefined;
  spans: SpanJson[];
}

function runChild(broker: Broker, mode: 'suppressed' | 'unsuppressed'): Promise<ChildResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', path.join(here, 'auto-preload.ts'), path.join(here, 'auto-child.ts'), broker.name, mode], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1);
      if (code !== 0 || !last) reject(new Error(`auto-child ${broker.name} exited ${code}:\n${err.slice(-3000)}`));
      else resolve(JSON.parse(last) as ChildResult);
    });
  });
}

describe.each(BROKERS)('with the $name client instrumentation enabled', (broker) => {
  it("one trace, one context in the headers (Ferry's), the library's consumer spans tied to it", async () => {
    const run = await runChild(broker, 'suppressed');
    const library = run.spans.filter((s) => s.scope === LIBRARY[broker.name]);
    const ferry = run.spans.filter((s) => s.scope === FERRY);

    // The instrumentation patched the library: the raw send has its producer span and injected context.
    const rawSend = library.find((s) => s.kind === 'PRODUCER');
    expect(rawSend, 'a producer span for the raw send').toBeDefined();
    expect(run.wire).toBe(`00-${rawSend!.traceId}-${rawSend!.spanId}-01`);
    // ...and no producer span of its own under Ferry: Ferry's send, retry copies, dead letter and redrive are suppressed.
    expect(library.filter((s) => s.kind === 'PRODUCER' && s !== rawSend)).toEqual([]);

    const send = ferry.find((s) => s.kind === 'PRODUCER')!;
    expect(send.name).toBe(`send ${run.topic}`);
    expect(send.parentSpanId).toBeUndefined();
    const attempts = ferry.filter((s) => s.kind === 'CONSUMER');
    expect(attempts.map((s) => [s.attributes['ferry.delivery.attempt'], s.attributes['ferry.outcome']])).toEqual([
      [1, 'retried'],
      [2, 'dead-lettered'],
      [1, 'ok'],
    ]);
    expect(run.redriven).toEqual({ redriven: 1, skipped: 0 });
    // Every attempt saw the same single context, Ferry's send span, and is its child in its trace.
    expect(run.seen.map((s) => s.traceparent)).toEqual(Array(3).fill(`00-${send.traceId}-${send.spanId}-01`));
    for (const attempt of attempts) {
      expect(attempt.traceId).toBe(send.traceId);
      expect(attempt.parentSpanId).toBe(send.spanId);
      expect(attempt.links[0]).toMatchObject({ spanId: send.spanId, type: 'creation' });
    }
    expect(attempts[1]!.links.find((l) => l.type === 'previous_attempt')?.spanId).toBe(attempts[0]!.spanId);
    expect(attempts[2]!.links.find((l) => l.type === 'previous_attempt')?.spanId).toBe(attempts[1]!.spanId);

    // The library's own consumer-side spans, per library.
    const onTopic = library.filter((s) => s.kind !== 'PRODUCER' && s.name.includes(run.topic));
    if (broker.name === 'kafka') {
      // kafkajs: a `poll` span per batch (a root) with a `process` span per record linking to Ferry's send, for
      // the topic, the group's retry topic and the dead-letter topic; Ferry's attempts link to the poll span they ran under.
      const processes = onTopic.filter((s) => s.name.startsWith('process '));
      expect(processes.length).toBeGreaterThanOrEqual(4);
      expect(processes.every((s) => s.links.some((l) => l.spanId === send.spanId))).toBe(true);
      const polls = new Set(onTopic.filter((s) => s.name.startsWith('poll ')).map((s) => s.spanId));
      expect(attempts.every((a) => a.links.some((l) => l.type === 'ambient' && polls.has(l.spanId)))).toBe(true);
    } else if (broker.name === 'rabbitmq') {
      // amqplib: a consume span per delivery, a child of Ferry's send (it reads the same header); Ferry's attempt links to it.
      const consumes = onTopic.filter((s) => s.kind === 'CONSUMER');
      expect(consumes.length).toBeGreaterThanOrEqual(4); // three attempts and the redrive's read of the dead letter
      expect(consumes.every((s) => s.traceId === send.traceId && s.parentSpanId === send.spanId)).toBe(true);
      for (const attempt of attempts) expect(consumes.map((s) => s.spanId)).toContain(attempt.links.find((l) => l.type === 'ambient')?.spanId);
    } else {
      // AWS SDK: `receive` spans for the long polls. Ferry carries its context inside its own attribute, and the SDK
      // added no `traceparent` attribute of its own (suppressed), so they link to nothing: no second context on the wire.
      const receives = onTopic.filter((s) => s.name.endsWith(' receive'));
      expect(receives.length).toBeGreaterThan(0);
      expect(receives.every((s) => s.links.length === 0)).toBe(true);
      expect(attempts.every((a) => a.links.every((l) => l.type !== 'ambient'))).toBe(true);
    }
  });
});

describe('the control: Kafka without suppressing the client instrumentation', () => {
  it("kafkajs replaces the context of the retry copy, the dead letter and the redriven copy: the message's attempts land in three traces", async () => {
    const run = await runChild(BROKERS.find((b) => b.name === 'kafka')!, 'unsuppressed');
    const attempts = run.spans.filter((s) => s.scope === FERRY && s.kind === 'CONSUMER');
    expect(attempts).toHaveLength(3);
    expect(new Set(run.seen.map((s) => s.traceparent)).size).toBe(3);
    expect(new Set(attempts.map((s) => s.traceId)).size).toBe(3);
    expect(run.spans.filter((s) => s.scope === LIBRARY.kafka && s.kind === 'PRODUCER').length).toBeGreaterThanOrEqual(4);
  });
});

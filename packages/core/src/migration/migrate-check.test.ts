import { describe, expect, it } from 'vitest';
import type { Capabilities } from '../spi/capabilities.ts';
import { migrateCheck } from './migrate-check.ts';

// Capability tables as the adapters declare them with default options (docs/architecture.md).
const kafka: Capabilities = { orderingByKey: true, fanOut: true, replay: ['earliest', 'offset', 'timestamp'], delay: { maxMs: 7 * 24 * 3600_000 }, priority: false, nativeDeadLetter: false, transactions: true, maxMessageBytes: 1_000_000 };
const sqs: Capabilities = { orderingByKey: false, fanOut: false, replay: [], delay: { maxMs: 900_000 }, priority: false, nativeDeadLetter: true, transactions: false, maxMessageBytes: 1_000_000 };
const rabbit: Capabilities = { orderingByKey: false, fanOut: true, replay: [], delay: { maxMs: 24 * 3600_000 }, priority: false, nativeDeadLetter: false, transactions: false, maxMessageBytes: 16 * 1024 * 1024 };

const features = (f: ReturnType<typeof migrateCheck>) => f.map((x) => `${x.severity}:${x.feature}`).sort();

describe('migrateCheck', () => {
  it('with no usage, lists every capability the target lacks (Kafka → SQS)', () => {
    expect(features(migrateCheck({ name: 'kafka', capabilities: kafka }, { name: 'sqs', capabilities: sqs }))).toEqual(
      ['differs:exactly-once', 'differs:per-key order', 'refused:delay', 'refused:fan-out', 'refused:replay'].sort(),
    );
  });

  it('with usage, names only what the application uses', () => {
    const findings = migrateCheck({ name: 'kafka', capabilities: kafka }, { name: 'sqs', capabilities: sqs }, {
      consumers: [{ group: 'billing', delivery: 'at-least-once', retry: { attempts: 5, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 30_000 } }],
      groupsPerTopic: 1,
      publishes: { maxDelayMs: 60_000, maxMessageBytes: 2_000 },
    });
    expect(findings).toEqual([]);
  });

  it('refuses a delay beyond the target, a second group where there is no fan-out, and replay from an offset', () => {
    const findings = migrateCheck({ name: 'rabbitmq', capabilities: rabbit }, { name: 'sqs', capabilities: sqs }, {
      consumers: [{ group: 'a', start: { from: 'offset', offset: 5 } }],
      groupsPerTopic: 2,
      publishes: { maxDelayMs: 3_600_000 },
    });
    expect(features(findings)).toEqual(['refused:delay', 'refused:fan-out', 'refused:replay']);
    expect(findings.find((f) => f.feature === 'delay')!.detail).toMatch(/at most 900000 ms \(asked: 3600000 ms\)/);
  });

  it('explicit orderedByKey is refused where the target has no per-key order; exactly-once loses its transaction', () => {
    const findings = migrateCheck({ name: 'kafka', capabilities: kafka }, { name: 'rabbitmq', capabilities: rabbit }, {
      consumers: [{ group: 'g', delivery: 'exactly-once', orderedByKey: true }],
    });
    expect(features(findings)).toEqual(['differs:exactly-once', 'refused:per-key order']);
  });

  it('finds nothing moving to a transport that can do more (SQS → Kafka)', () => {
    expect(migrateCheck({ name: 'sqs', capabilities: sqs }, { name: 'kafka', capabilities: kafka }).filter((f) => f.severity === 'refused')).toEqual([]);
  });
});

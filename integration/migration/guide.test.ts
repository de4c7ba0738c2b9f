/**
 * The same code on every broker: docs/guide.md's snippets, unchanged, run on Kafka, RabbitMQ and
 * SQS (examples/guide.test.ts runs them on memory). The guide publishes before its consumer first
 * starts, which works everywhere because its client declares the group (`topics`); without it
 * RabbitMQ refuses the publish with FERRY_NO_GROUP (the conformance suite pins the rule down).
 * The guide's topic and groups (`orders`, `billing`) are fixed names: runs reuse them.
 */
import { describe, expect, it } from 'vitest';
import { runGuide } from '../../examples/guide-runner.ts';
import { setup, type Broker } from './brokers.ts';

/** The URL alone must select and configure the broker: the guide passes no adapter options. */
function guideUrl(broker: Broker): string {
  const { url, options } = setup(broker, { prefix: 'orders' });
  if (broker !== 'sqs') return url;
  const credentials = options.credentials as { accessKeyId: string; secretAccessKey: string };
  const u = new URL(url);
  u.username = encodeURIComponent(credentials.accessKeyId);
  u.password = encodeURIComponent(credentials.secretAccessKey);
  return u.toString();
}

describe('the guide’s snippets run unchanged on each broker', () => {
  for (const broker of ['kafka', 'rabbitmq', 'sqs'] as const) {
    it(broker, { timeout: 120_000 }, () => {
      const run = runGuide({ env: { FERRY_URL: guideUrl(broker) }, timeoutMs: 100_000 });
      expect(run.stderr, 'stderr of the guide').not.toMatch(/Error|error:/);
      expect(run.status, `exit code of the guide\n${run.stderr.slice(-2_000)}`).toBe(0);
      expect(run.stdout.split('\n')[0]).toMatch(new RegExp(`^${broker} `)); // the Client snippet prints the transport's name
    });
  }
});

import { describe, expect, it } from 'vitest';
import { runDemo } from '../examples/run-demo.ts';
import { endpointsFromEnv } from './harness/index.ts';

// The README promises that FERRY_URL points the same demo at any broker: check it on each.
describe('pnpm demo on real brokers', () => {
  const cases: Array<[string, () => { url: string; options?: Record<string, unknown> }]> = [
    ['kafka', () => ({ url: `kafka://${endpointsFromEnv().kafka.brokers.join(',')}` })],
    ['rabbitmq', () => ({ url: endpointsFromEnv().amqp.url })],
    [
      'sqs',
      () => {
        const sqs = endpointsFromEnv().sqs;
        return { url: `sqs://${sqs.accessKeyId}:${sqs.secretAccessKey}@${sqs.region}?endpoint=${sqs.endpoint}`, options: { waitTimeSeconds: 1 } };
      },
    ],
  ];
  for (const [name, target] of cases) {
    it(`${name}: same outcome as on memory`, async () => {
      const { url, options } = target();
      const demo = await runDemo(url, options);
      expect(demo).toMatchObject({ processed: 9, retried: 2, deadLettered: 1, duplicates: 1 });
      expect(demo.stdout).toContain(`(transport: ${name})`);
      expect(demo.stdout).toMatch(/Dead letter order-5 .*kind=handler, attempts=1/);
    }, 150_000);
  }
});

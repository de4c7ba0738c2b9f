/** Proves the globalSetup's hand-over: forked test workers see the endpoints. */
import { describe, expect, inject, it } from 'vitest';
import { endpointsFromEnv } from './env.ts';

describe('integration globalSetup', () => {
  it('exports FERRY_* env vars to the test worker, matching inject("ferryBrokers")', () => {
    const provided = inject('ferryBrokers');
    expect(process.env.FERRY_KAFKA_BROKERS).toBe(provided.kafka.brokers.join(','));
    expect(process.env.FERRY_AMQP_URL).toBe(provided.amqp.url);
    expect(process.env.FERRY_SQS_ENDPOINT).toBe(provided.sqs.endpoint);
    expect(process.env.FERRY_SQS_REGION).toBe(provided.sqs.region);
    expect(endpointsFromEnv().kafka).toEqual(provided.kafka);
    expect(endpointsFromEnv().sqs).toEqual(provided.sqs);
  });

  it('runs in a forked worker, not in the process that ran globalSetup', () => {
    expect(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID).toBeDefined();
    expect(typeof process.send).toBe('function'); // forks talk to the main process over IPC
  });
});

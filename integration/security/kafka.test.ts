/**
 * Kafka through a SASL_SSL listener (SCRAM-SHA-512, certificate from the harness's test CA): the
 * run's Kafka when the harness started it from this checkout, else one started here and stopped.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provideSecureKafka, type SecureKafka } from '../harness/secure-kafka.ts';
import { printed, publishError, roundTrip, skipReason, wrongPassword } from './helpers.ts';

const skip = skipReason(() => (spawnSync('java', ['-version'], { stdio: 'ignore' }).error ? 'java is not on PATH (the harness runs Kafka with it)' : undefined));

/** Test timings (as integration/kafka/helpers.ts): quick group joins, few retries. */
const TIMINGS = {
  partitions: 2,
  consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 200, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 },
  retry: { retries: 2, initialRetryTimeMs: 50, maxRetryTimeMs: 500 },
  requestTimeoutMs: 10_000,
  // FERRY_KAFKA_DRIVER=platformatic runs these on the second driver.
  ...(process.env['FERRY_KAFKA_DRIVER'] ? { driver: process.env['FERRY_KAFKA_DRIVER'] } : {}),
};

describe.skipIf(skip)('Kafka SASL_SSL (SCRAM-SHA-512)', () => {
  let kafka: SecureKafka;
  const url = (password: string) => `kafka://${kafka.certs.username}:${encodeURIComponent(password)}@${kafka.broker}?sasl=scram-sha-512&tls=true`;

  beforeAll(async () => {
    kafka = await provideSecureKafka();
    console.log(`[security tests] Kafka SASL_SSL on ${kafka.broker} (${kafka.source === 'run' ? "the run's Kafka" : 'started for this file'})`);
  });
  afterAll(async () => {
    await kafka?.stop();
  });

  it('publishes and consumes through SASL_SSL with the CA given as tls.ca', async () => {
    const { sent, seen } = await roundTrip(url(kafka.certs.password), { ...TIMINGS, tls: { ca: kafka.certs.caPem } });
    expect([...seen].sort()).toEqual([...sent].sort());
  });

  it('the same with sasl and tls given as options instead of in the URL', async () => {
    const { sent, seen } = await roundTrip(`kafka://${kafka.broker}`, {
      ...TIMINGS,
      tls: { ca: kafka.certs.caPem },
      sasl: { mechanism: 'scram-sha-512', username: kafka.certs.username, password: kafka.certs.password },
    });
    expect([...seen].sort()).toEqual([...sent].sort());
  });

  it('a wrong password fails with FERRY_AUTH, and neither password is in the message or the inspect output', async () => {
    const wrong = wrongPassword();
    const error = await publishError(url(wrong), { ...TIMINGS, tls: { ca: kafka.certs.caPem } });
    expect(error.code).toBe('FERRY_AUTH');
    expect(error.message).toMatch(/Cannot connect to Kafka at .*(SCRAM|SASL).*refused the login: check the user name and password/);
    expect(printed(error)).not.toContain(wrong);
    expect(printed(error)).not.toContain(kafka.certs.password);
  });

  it('a client without the harness CA fails with FERRY_TLS naming the untrusted certificate and kafka.tls.ca', async () => {
    const error = await publishError(url(kafka.certs.password), { ...TIMINGS, tls: true });
    expect(error.code).toBe('FERRY_TLS');
    expect(error.message).toMatch(/self-signed certificate in certificate chain/);
    expect(error.message).toContain('`tls.ca`');
    expect(printed(error)).not.toContain(kafka.certs.password);
  });
});

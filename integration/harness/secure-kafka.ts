/**
 * A Kafka with a SASL_SSL listener for the security tests. The run's Kafka has one when the harness
 * started it from this checkout (kafka-local.ts adds it); one started elsewhere, or before the
 * listener existed, lacks it or trusts another CA. Then a Kafka of its own is started on free
 * ports, and stopped (its folder removed) by `stop()`.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { HOST, KAFKA_PORT, KAFKA_SASL_PORT, KAFKA_VERSION } from './config.ts';
import { kafkaFromEnv } from './env.ts';
import { kafkaLocalBroker } from './kafka-local.ts';
import { ensureLocalJavaBroker, pidFileOf } from './local-java.ts';
import { log } from './log.ts';
import { brokerDir } from './paths.ts';
import { freePorts } from './ports.ts';
import { stopPid } from './process.ts';
import { answers, withTimeout } from './probes.ts';
import { ensureTestCertificates, type TestCertificates } from './tls-certs.ts';
import { waitUntilReady } from './wait.ts';

export interface SecureKafka {
  /** Bootstrap address of the SASL_SSL listener. */
  readonly broker: string;
  readonly certs: TestCertificates;
  /** `run`: the run's Kafka; `started`: one started for the caller. */
  readonly source: 'run' | 'started';
  /** Stops the Kafka this call started (nothing for the run's). */
  stop(): Promise<void>;
}

/** A metadata request through SASL_SSL with the harness CA and SCRAM user. */
export async function probeSecureKafka(broker: string, certs: TestCertificates): Promise<void> {
  const admin = new Kafka({
    clientId: 'ferry-harness-probe',
    brokers: [broker],
    ssl: { ca: certs.caPem },
    sasl: { mechanism: 'scram-sha-512', username: certs.username, password: certs.password },
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await withTimeout((async () => { await admin.connect(); await admin.listTopics(); })(), 10_000, 'Kafka SASL_SSL metadata request');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function provideSecureKafka(): Promise<SecureKafka> {
  const certs = await ensureTestCertificates();
  const run = kafkaFromEnv()?.brokers ?? [`${HOST}:${KAFKA_PORT}`];
  const runListener = `${HOST}:${KAFKA_SASL_PORT}`;
  if (run.length === 1 && run[0] === `${HOST}:${KAFKA_PORT}` && (await answers(() => probeSecureKafka(runListener, certs)))) {
    return { broker: runListener, certs, source: 'run', stop: async () => {} };
  }
  const [port, controllerPort, saslPort] = (await freePorts(3)) as [number, number, number];
  const dir = path.join(brokerDir('kafka-secure'), `${KAFKA_VERSION}-${port}`);
  const broker = kafkaLocalBroker({ version: KAFKA_VERSION, port, controllerPort, saslPort, dir, lockFile: path.join(dir, 'start.lock'), heap: '-Xmx512m' });
  log(`Kafka: the run's Kafka has no SASL_SSL listener with this checkout's CA on ${runListener}; starting one on ${HOST}:${saslPort}`);
  const stop = async () => {
    await stopPid(pidFileOf(broker), broker.mainClass);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ensureLocalJavaBroker(broker);
    const address = `${HOST}:${saslPort}`;
    await waitUntilReady({ what: `Kafka SASL_SSL on ${address}`, probe: () => probeSecureKafka(address, certs), deadlineMs: 60_000, logFile: path.join(dir, 'broker.log') });
    return { broker: address, certs, source: 'started', stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

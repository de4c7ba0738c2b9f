/**
 * The fault suite's own Kafka and ElasticMQ, on ports of their own (restarting the shared ones
 * would break other test runs), started, SIGKILLed and started again through the harness CLI with
 * its port settings. ElasticMQ keeps its messages on disk here, so a restart must not lose any.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const FAULT_KAFKA_PORT = 39092;
export const FAULT_ELASTICMQ_PORT = 39324;

const SETTINGS: Record<'kafka' | 'sqs', Record<string, string>> = {
  kafka: { FERRY_KAFKA_PORT: String(FAULT_KAFKA_PORT), FERRY_KAFKA_CONTROLLER_PORT: String(FAULT_KAFKA_PORT + 1) },
  sqs: { FERRY_ELASTICMQ_PORT: String(FAULT_ELASTICMQ_PORT), FERRY_ELASTICMQ_STORAGE: '1' },
};

/** `pnpm brokers <command> <broker>` for the fault suite's instance (its env settings, none of the FERRY_* endpoints). */
export async function faultBroker(command: 'start' | 'stop' | 'kill', broker: 'kafka' | 'sqs'): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...SETTINGS[broker], FERRY_BROKERS_SOURCE: 'local' };
  // The endpoints of the test run's shared brokers would make the harness check those instead.
  delete env.FERRY_KAFKA_BROKERS;
  delete env.FERRY_SQS_ENDPOINT;
  try {
    await run(process.execPath, ['--import', 'tsx', path.join(root, 'integration/harness/cli.ts'), command, broker], { cwd: root, env, timeout: 240_000 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`pnpm brokers ${command} ${broker} (fault suite instance) failed: ${e.stderr?.trim() || e.message}`);
  }
}

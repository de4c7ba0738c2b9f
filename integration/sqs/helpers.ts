/** Shared by the SQS integration tests: transports on the harness's SQS endpoint (ElasticMQ), raw client, cleanup. */
import { DeleteQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SqsTransport, type SqsOptions } from '@ferry/sqs';
import { endpointsFromEnv, uniqueName } from '../harness/index.ts';

// The SDK's own switch for its 9-line NodeVersionSupportWarning on Node.js < 22, which the raw
// clients of these tests would print (the transport routes it to Ferry's logger itself).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export function sqsEndpoint() {
  return endpointsFromEnv().sqs;
}

/** `sqs://<region>?endpoint=<endpoint>`; credentials go in the options. */
export function sqsUrl(endpoint: string = sqsEndpoint().endpoint): string {
  return `sqs://${sqsEndpoint().region}?endpoint=${encodeURIComponent(endpoint)}`;
}

/** Test defaults: short long polls, so a poll aborted at close is gone from the server within a second. */
export const TEST_OPTIONS: SqsOptions = { waitTimeSeconds: 1 };

export function sqs(options: SqsOptions = {}, endpoint?: string): SqsTransport {
  const { accessKeyId, secretAccessKey } = sqsEndpoint();
  return new SqsTransport(new URL(sqsUrl(endpoint)), { credentials: { accessKeyId, secretAccessKey }, ...TEST_OPTIONS, ...options } as Record<string, unknown>);
}

/** The raw SDK client, for checks under the adapter (queue attributes, tags, counts). */
export function rawClient(): SQSClient {
  const e = sqsEndpoint();
  return new SQSClient({ endpoint: e.endpoint, region: e.region, credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey } });
}

export function topicName(prefix: string): string {
  return uniqueName(`sqs-${prefix}`);
}

/** Deletes every queue whose name starts with `prefix`. */
export async function cleanup(prefix: string): Promise<void> {
  const client = rawClient();
  try {
    const { QueueUrls = [] } = await client.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000 }));
    await Promise.all(QueueUrls.map((QueueUrl) => client.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined)));
  } finally {
    client.destroy();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms; throws naming `what` after `ms`. */
export async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

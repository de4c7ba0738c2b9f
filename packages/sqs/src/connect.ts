import { ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { connectionError, ConnectionError, withinTimeout } from '@ferry/core/spi';
import type { ResolvedConfig } from './options.ts';

/**
 * The SDK opens connections per request, so nothing tells a wrong endpoint or refused credentials
 * apart from a missing queue until a request fails. One cheap request (ListQueues, one result)
 * within `connectTimeoutMs` checks endpoint and credentials; a failure is a ConnectionError
 * (FERRY_CONNECTION, FERRY_AUTH, FERRY_TLS). Credentials that are valid but not allowed to list
 * queues (a least-privilege policy) pass: that is an authorization answer, so the endpoint is fine.
 */
export async function checkConnection(sqs: SQSClient, config: ResolvedConfig): Promise<void> {
  const abort = new AbortController();
  const started = Date.now();
  const request = sqs.send(new ListQueuesCommand({ MaxResults: 1, ...(config.queuePrefix ? { QueueNamePrefix: config.queuePrefix } : {}) }), { abortSignal: abort.signal });
  try {
    await withinTimeout(request, config.connectTimeoutMs, () => {
      abort.abort();
      return sqsConnectError(config, `a ListQueues request, unanswered for ${Date.now() - started} ms`, undefined);
    });
  } catch (error) {
    if (isAccessDenied(error)) return;
    if (error instanceof ConnectionError) throw error;
    throw sqsConnectError(config, `a ListQueues request (up to ${config.maxAttempts} attempts, sqs option \`maxAttempts\`)`, error);
  }
}

function sqsConnectError(config: ResolvedConfig, tried: string, error: unknown): ConnectionError {
  const address = config.endpoint ?? `the AWS endpoint of region ${config.region ?? '(from the SDK chain)'}`;
  return connectionError({
    broker: 'SQS',
    address,
    tried,
    error,
    kind: error === undefined ? 'connection' : undefined,
    timeoutMs: config.connectTimeoutMs,
    secrets: [config.credentials?.secretAccessKey, config.credentials?.sessionToken],
    credentialsIn: 'the URL (sqs://key:secret@region), the `credentials` option or the AWS SDK chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, a role)',
  });
}

function isAccessDenied(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === 'AccessDenied' || name === 'AccessDeniedException';
}

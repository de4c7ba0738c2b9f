/** SQS requests the transport does not make for the CLI: reach the endpoint, find and delete queues. */
import { DeleteQueueCommand, GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { queueNameFor } from '@ferry/sqs';

/** A client for the URL the transport reads (`sqs://[key:secret@]region[?endpoint=...]`), or the `endpoint`/`region` options. */
export function sqsClient(url: URL, options: Record<string, unknown>): SQSClient {
  const endpoint = typeof options['endpoint'] === 'string' ? options['endpoint'] : (url.searchParams.get('endpoint') ?? undefined);
  const region = typeof options['region'] === 'string' ? options['region'] : decodeURIComponent(url.hostname) || undefined;
  const credentials = url.username && url.password ? { accessKeyId: decodeURIComponent(url.username), secretAccessKey: decodeURIComponent(url.password) } : undefined;
  // One attempt: the doctor reports what failed instead of retrying it for seconds.
  return new SQSClient({ ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}), ...(credentials ? { credentials } : {}), maxAttempts: 1 });
}

/** The queue names (not URLs) starting with `prefix`. A request SQS answers only with valid credentials. */
export async function listQueues(client: SQSClient, prefix: string): Promise<Array<{ name: string; url: string }>> {
  const found: Array<{ name: string; url: string }> = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, NextToken }));
    for (const url of page.QueueUrls ?? []) found.push({ name: url.slice(url.lastIndexOf('/') + 1), url });
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}

/** Messages waiting in a queue, as SQS approximates them. */
export async function queueDepth(client: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

export async function deleteQueues(client: SQSClient, queues: ReadonlyArray<{ url: string }>): Promise<void> {
  await Promise.all(queues.map((q) => client.send(new DeleteQueueCommand({ QueueUrl: q.url }))));
}

/** The queue name of a topic as the transport derives it (its `queuePrefix` and `queueNames` options; FIFO adds `.fifo`). */
export function topicQueue(topic: string, options: Record<string, unknown>): string {
  const explicit = (options['queueNames'] as Record<string, unknown> | undefined)?.[topic];
  return queueNameFor(topic, { prefix: typeof options['queuePrefix'] === 'string' ? options['queuePrefix'] : '', fifo: false, explicit: typeof explicit === 'string' ? explicit : undefined });
}

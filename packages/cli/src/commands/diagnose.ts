/** What a failure to reach or use a broker means, and what to do: the doctor's and capabilities' message. */
import { redactText } from '@ferry/core';

export interface Diagnosis {
  /** What is wrong, in a few words. */
  readonly problem: string;
  readonly fix: string;
  readonly kind: 'unreachable' | 'credentials' | 'vhost' | 'permission' | 'missing' | 'other';
}

/** Classifies `error` (from the transport, kafkajs, amqplib or the AWS SDK) for the broker at `url`. */
export function diagnose(error: unknown, url: URL): Diagnosis {
  const text = redactText(chain(error));
  const where = address(url);
  const scheme = url.protocol.replace(':', '');
  const user = decodeURIComponent(url.username) || (scheme.startsWith('amqp') ? 'guest' : '<user>');
  const vhost = decodeURIComponent(url.pathname.replace(/^\//, '')) || '/';
  if (/Login was refused|SASL.*(fail|authentication)|Authentication failed|InvalidClientTokenId|UnrecognizedClient|SignatureDoesNotMatch|InvalidAccessKeyId|security token included in the request is invalid|AuthFailure/i.test(text)) {
    const fix = scheme.startsWith('amqp')
      ? `Check the user name and password in the URL (${scheme}://user:password@host:port/vhost); \`rabbitmqctl authenticate_user ${user} <password>\` tells whether RabbitMQ accepts them.`
      : scheme === 'kafka'
        ? 'Check the user name and password in the URL (kafka://user:password@host:9092?sasl=scram-sha-256) and the SASL mechanism the broker listens with.'
        : 'Check the access key in the URL (sqs://key:secret@region) or the SDK credential chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE).';
    return { kind: 'credentials', problem: `${where} refused the credentials`, fix };
  }
  if (/NOT_ALLOWED|access to vhost|vhost .* not found|Expected ConnectionOpenOk/i.test(text)) {
    return {
      kind: 'vhost',
      problem: `${where} accepted the login but not the virtual host \`${vhost}\` (it does not exist, or ${user} has no permissions on it)`,
      fix: `Grant them: \`rabbitmqctl set_permissions -p ${vhost} ${user} '.*' '.*' '.*'\` (or create it: \`rabbitmqctl add_vhost ${vhost}\`), or name another vhost at the end of the URL.`,
    };
  }
  if (/ACCESS_REFUSED|access to (exchange|queue)|TOPIC_AUTHORIZATION|GROUP_AUTHORIZATION|CLUSTER_AUTHORIZATION|not authorized|AccessDenied|not allowed to/i.test(text)) {
    const fix = scheme.startsWith('amqp')
      ? `Ferry declares an exchange per topic and a queue per group (configure), publishes (write) and consumes (read): \`rabbitmqctl set_permissions -p ${vhost} ${user} '<configure>' '<write>' '<read>'\` with patterns that cover the topics and their \`<topic>.*\` queues, or have an administrator declare them and use --options '{"topology":"existing"}'.`
      : scheme === 'kafka'
        ? 'Grant the principal ACLs (kafka-acls.sh --add): Describe, Create and Write on the topics (and their .retry/.delay/.dlq topics), Read on the consumer groups; or create the topics up front and use --options \'{"topics":"existing"}\'.'
        : 'Allow the IAM principal sqs:GetQueueUrl, CreateQueue, GetQueueAttributes, SetQueueAttributes, SendMessage, ReceiveMessage, DeleteMessage, ChangeMessageVisibility and ListQueues on the queues.';
    return { kind: 'permission', problem: `${where} refused an operation the user lacks permission for`, fix };
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|No connection to|Connection error|Failed to connect|socket hang up|FERRY_TIMEOUT|no answer within|connect ETIMEDOUT|Closed connection/i.test(text)) {
    return {
      kind: 'unreachable',
      problem: `nothing answers at ${where}`,
      fix: `Check the host and port in the URL, that the broker runs there (locally: \`pnpm brokers status\`), and that no firewall or proxy is in between.`,
    };
  }
  if (/does not exist|NOT_FOUND|UNKNOWN_TOPIC|NonExistentQueue|QueueDoesNotExist|FERRY_TOPIC_MISSING/i.test(text)) {
    return { kind: 'missing', problem: `${where} has no such topic or queue`, fix: 'Create it, or let the transport declare it (Kafka topics: "create", RabbitMQ topology: "declare", the defaults).' };
  }
  return { kind: 'other', problem: `unexpected failure at ${where}`, fix: 'Read the error below; `--options` takes adapter options (docs/adapters/<name>.md), e.g. a longer timeout.' };
}

/** host:port, or the SQS endpoint or region. */
function address(url: URL): string {
  if (url.protocol === 'sqs:') return `SQS ${url.searchParams.get('endpoint') ?? `in ${url.hostname || 'the default region'}`}`;
  if (url.protocol === 'memory:') return 'the in-process broker';
  const port = url.port || (url.protocol === 'kafka:' ? '9092' : url.protocol === 'amqps:' ? '5671' : '5672');
  return `${url.protocol === 'kafka:' ? 'Kafka' : 'RabbitMQ'} at ${url.hostname}:${port}`;
}

/** The messages of an error and its causes (the transports wrap the client library's error). */
function chain(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let i = 0; e && i < 5; i++) {
    const err = e as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; type?: unknown };
    parts.push([err.code, err.name, err.type, err.message ?? String(e)].filter((p) => typeof p === 'string' || typeof p === 'number').join(' '));
    e = err.cause;
  }
  return parts.join(' | ');
}

/** `ferry doctor --topic T --group G`: looks at real topics without touching them (passive, read-only). */
import { describeTopic, groupLag, kafkaFor } from '../brokers/kafka.ts';
import { amqpConnect, exchangeExists, queueInfo } from '../brokers/rabbitmq.ts';
import { listQueues, queueDepth, sqsClient, topicQueue } from '../brokers/sqs.ts';

export interface Finding {
  readonly status: 'ok' | 'warn' | 'FAIL';
  readonly what: string;
  readonly detail: string;
}

const DEAD_LETTER_GROUP = 'ferry-dead-letters';

export async function checkTopic(url: URL, options: Record<string, unknown>, topic: string, group: string | undefined): Promise<Finding[]> {
  const dlq = `${topic}.dlq`;
  if (url.protocol === 'kafka:') {
    const kafka = kafkaFor(url, options);
    const info = await describeTopic(kafka, topic);
    const found: Finding[] = [
      info
        ? { status: 'ok', what: `topic ${topic}`, detail: `${info.partitions} partitions, ${info.messages} messages retained` }
        : { status: options['topics'] === 'existing' ? 'FAIL' : 'warn', what: `topic ${topic}`, detail: options['topics'] === 'existing' ? 'missing, and topics: "existing" will not create it: create it (kafka-topics.sh --create)' : 'missing: created on first use (topics: "create")' },
    ];
    if (group && info) {
      const lag = await groupLag(kafka, group, topic);
      found.push({ status: 'ok', what: `group ${group}`, detail: lag === undefined ? 'no committed offsets: a new group starts at the earliest retained message' : `lag ${lag}` });
    }
    const dead = await describeTopic(kafka, dlq);
    found.push({ status: 'ok', what: `dead letters ${dlq}`, detail: dead ? `${dead.messages} messages retained` : 'none yet (created with the first dead letter)' });
    return found;
  }
  if (url.protocol === 'amqp:' || url.protocol === 'amqps:') {
    const connection = await amqpConnect(url, options);
    try {
      const existing = options['topology'] === 'existing';
      const exchange = await exchangeExists(connection, topic);
      const found: Finding[] = [
        exchange
          ? { status: 'ok', what: `exchange ${topic}`, detail: 'exists' }
          : { status: existing ? 'FAIL' : 'warn', what: `exchange ${topic}`, detail: existing ? 'missing, and topology: "existing" will not declare it' : 'missing: declared on first use; messages published before a group queue exists are dropped (declare the groups: the client option `topics`)' },
      ];
      if (group) {
        const queue = await queueInfo(connection, `${topic}.${group}`);
        found.push(queue ? { status: 'ok', what: `queue ${topic}.${group}`, detail: `${queue.messages} ready, ${queue.consumers} consumers` } : { status: existing ? 'FAIL' : 'warn', what: `queue ${topic}.${group}`, detail: 'missing: declared when the group first subscribes; until then nothing is kept for it' });
      }
      const dead = await queueInfo(connection, `${dlq}.${DEAD_LETTER_GROUP}`);
      found.push({ status: 'ok', what: `dead letters ${dlq}.${DEAD_LETTER_GROUP}`, detail: dead ? `${dead.messages} waiting` : 'none yet (declared when a consumer subscribes)' });
      return found;
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
  if (url.protocol === 'sqs:') {
    const sqs = sqsClient(url, options);
    try {
      const name = topicQueue(topic, options);
      const queue = (await listQueues(sqs, name)).find((q) => q.name === name || q.name === `${name}.fifo`);
      const found: Finding[] = [queue ? { status: 'ok', what: `queue ${queue.name}`, detail: `about ${await queueDepth(sqs, queue.url)} messages waiting${group ? ` (group ${group} reads the topic's one queue)` : ''}` } : { status: 'warn', what: `queue ${name}`, detail: 'missing: created on first use' }];
      const deadName = topicQueue(dlq, options);
      const dead = (await listQueues(sqs, deadName)).find((q) => q.name === deadName || q.name === `${deadName}.fifo`);
      found.push({ status: 'ok', what: `dead letters ${deadName}`, detail: dead ? `about ${await queueDepth(sqs, dead.url)} waiting` : 'none yet (created when a consumer subscribes)' });
      return found;
    } finally {
      sqs.destroy();
    }
  }
  return [{ status: 'ok', what: `topic ${topic}`, detail: 'memory:// lives inside one process: nothing to look at from here' }];
}

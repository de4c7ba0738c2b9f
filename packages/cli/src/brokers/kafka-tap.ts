import { randomBytes } from 'node:crypto';
import { FerryError } from '@ferry/core';
import type { Kafka } from 'kafkajs';
import { decodeRecord } from '@ferry/kafka';
import type { OnTapped, Tap } from './tapped.ts';

/**
 * Reads what is published to `topic` from now on, disturbing no group: a group id of its own
 * (`ferry-tail-<random>`) that never commits an offset, so Kafka forgets it once the tap leaves.
 * It starts at each partition's end as read before joining, so nothing published after the
 * returned promise resolves is missed.
 */
export async function kafkaTap(kafka: Kafka, topic: string, onMessage: OnTapped): Promise<Tap> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Array<{ partition: number; offset: string }>;
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new FerryError('FERRY_TOPIC_MISSING', `Kafka has no topic \`${topic}\`. Check the name (ferry doctor <url> --topic ${topic} tells), or publish to it first.`);
    }
    ends = (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.high }));
  } finally {
    await admin.disconnect();
  }
  const groupId = `ferry-tail-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500, allowAutoTopicCreation: false });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      // The transport's own reader: every envelope form (compact, headers, CloudEvents), its private headers left out.
      const { envelope, error } = decodeRecord(topic, partition, message);
      onMessage({
        topic,
        id: envelope.id,
        type: error ? `(unreadable envelope: ${error.message})` : envelope.type,
        key: envelope.key,
        headers: envelope.headers,
        payload: Buffer.from(envelope.payload.buffer, envelope.payload.byteOffset, envelope.payload.byteLength),
        timestamp: envelope.timestamp,
        at: `partition ${partition} offset ${message.offset}`,
      });
    },
  });
  // Applied when the partitions are assigned: from the ends read above, whatever the group join takes.
  for (const end of ends) consumer.seek({ topic, partition: end.partition, offset: end.offset });
  return {
    describe: `group ${groupId}, which commits nothing`,
    close: async () => {
      await consumer.disconnect();
      // Kafka would forget the empty group at its next cleanup; delete it now so listings stay clean.
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

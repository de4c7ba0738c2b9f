import { randomBytes } from 'node:crypto';
import { FerryError } from '@ferry/core';
import type { Kafka } from 'kafkajs';
import type { OnTapped, Tap } from './tapped.ts';

/** Headers the Kafka transport sets for itself (packages/kafka/src/codec.ts): shown as fields, not headers. */
const ID = 'ferry-id';
const TYPE = 'ferry-type';
const PRIVATE = new Set([ID, TYPE, 'ferry-attempt', 'ferry-due', 'ferry-topic']);

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
      const headers: Record<string, string> = {};
      let id = '';
      let type = '';
      for (const [name, raw] of Object.entries(message.headers ?? {})) {
        const value = Array.isArray(raw) ? raw.at(-1) : raw;
        if (value === undefined) continue;
        const text = value.toString();
        if (name === ID) id = text;
        else if (name === TYPE) type = text;
        else if (!PRIVATE.has(name)) headers[name] = text;
      }
      onMessage({
        topic,
        id,
        type,
        key: message.key?.toString('utf8'),
        headers,
        payload: message.value ?? Buffer.alloc(0),
        timestamp: Number(message.timestamp),
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

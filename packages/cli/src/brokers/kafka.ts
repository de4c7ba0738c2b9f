/** kafkajs for what the transport does not do for the CLI: a commit-free tap, topic checks, probe cleanup. */
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';

/** A kafkajs client for the URL the transport reads (`kafka://[user:pass@]host:9092[?brokers=...&sasl=...&tls=true]`). */
export function kafkaFor(url: URL, options: Record<string, unknown>): Kafka {
  const brokers = [`${url.hostname}:${url.port || '9092'}`, ...(url.searchParams.get('brokers') ?? '').split(',').map((b) => b.trim()).filter(Boolean)];
  if (Array.isArray(options['brokers'])) brokers.push(...(options['brokers'] as string[]));
  const sasl: SASLOptions | undefined = url.username
    ? ({ mechanism: (url.searchParams.get('sasl') ?? 'plain') as 'plain', username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) })
    : (options['sasl'] as SASLOptions | undefined);
  return new Kafka({
    clientId: 'ferry-cli',
    brokers: [...new Set(brokers)],
    ssl: url.searchParams.get('tls') === 'true' || options['tls'] === true,
    ...(sasl ? { sasl } : {}),
    connectionTimeout: 3_000,
    retry: { retries: 1 },
    logLevel: logLevel.NOTHING,
  });
}

export interface TopicInfo {
  readonly partitions: number;
  /** Messages between the earliest and the latest offset, summed over partitions. */
  readonly messages: number;
}

/** The topic's partitions and size, or undefined when it does not exist. */
export async function describeTopic(kafka: Kafka, topic: string): Promise<TopicInfo | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    const offsets = await admin.fetchTopicOffsets(topic);
    return { partitions: offsets.length, messages: offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0) };
  } finally {
    await admin.disconnect();
  }
}

/** The group's lag on the topic (latest minus committed, per partition), or undefined when it committed nothing there. */
export async function groupLag(kafka: Kafka, group: string, topic: string): Promise<number | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const latest = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    const parts = committed?.partitions.filter((p) => Number(p.offset) >= 0) ?? [];
    if (parts.length === 0) return undefined;
    return parts.reduce((n, p) => n + Math.max(0, (latest.get(p.partition) ?? 0) - Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the topics starting with `prefix` (a probe's topic and the retry, delay and dead-letter topics made for it) and the groups. */
export async function deleteProbe(kafka: Kafka, prefix: string, groups: readonly string[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
    await admin.deleteGroups([...groups]).catch(() => undefined); // a group that never committed is gone already
    return topics;
  } finally {
    await admin.disconnect();
  }
}

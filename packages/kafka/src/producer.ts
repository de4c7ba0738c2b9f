import { Batcher, envelopeSize, FerryError, PublishError, type Envelope } from '@ferry/core/spi';
import { recordOverhead } from './codec.ts';
import type { DriverProducer, ProducerRecord } from './driver.ts';
import type { ResolvedConfig } from './options.ts';

interface Item {
  readonly record: ProducerRecord;
  readonly size: number;
}

/**
 * The transport's shared producer: idempotent, acks=all. kafkajs sends one request per `send()`
 * call and has no linger, so concurrent publishes are coalesced here (core's Batcher) into one
 * `sendBatch` per linger window / byte cap, with `maxInFlightBatches` requests in flight
 * (1 by default, which keeps publish order per key across batches).
 */
export class BatchingProducer {
  private readonly batcher: Batcher<Item>;
  private connecting: Promise<void> | undefined;
  private producer: DriverProducer;
  /** Producers replaced after a sequence desync (see flush), for tests and logs. */
  replacements = 0;

  constructor(
    /** Makes a kafkajs producer: one at start, a fresh one when the current one is out of sequence. */
    private readonly createProducer: () => DriverProducer,
    private readonly config: ResolvedConfig,
  ) {
    this.producer = createProducer();
    const p = config.producer;
    this.batcher = new Batcher<Item>({
      maxItems: p.batchMessages,
      maxBytes: p.batchBytes,
      lingerMs: p.lingerMs,
      maxConcurrentFlushes: p.maxInFlightBatches,
      sizeOf: (item) => item.size,
      flush: (items) => this.flush(items),
    });
  }

  private connected = false;

  connect(): Promise<void> {
    this.connecting ??= this.producer.connect().then(() => void (this.connected = true)).catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  /** Resolves when the broker acknowledged every record (acks=all); rejects with PublishError otherwise or after the publish timeout. */
  send(records: readonly ProducerRecord[], envelopes: readonly Envelope[]): Promise<void> {
    if (!this.connected) return this.connect().then(() => this.send(records, envelopes));
    if (records.length === 1) return this.batcher.add(itemOf(records[0]!, envelopes[0]!));
    return Promise.all(records.map((record, i) => this.batcher.add(itemOf(record, envelopes[i]!)))).then(() => undefined);
  }

  /** Waits for queued and in-flight batches. */
  drain(): Promise<void> {
    return this.batcher.drain();
  }

  async disconnect(): Promise<void> {
    await this.drain().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
  }

  /**
   * Sends one batch. kafkajs's idempotent producer can lose track of its sequence numbers after a
   * retried request (the broker then answers OUT_OF_ORDER_SEQUENCE_NUMBER, tulios/kafkajs#598) and
   * fails every later send the same way. The batch then goes out once more on a fresh producer (a
   * new producer id restarts the sequences): records the failed attempt did write are written
   * twice, which at-least-once publishing allows, instead of losing this batch and every later one.
   */
  private async flush(items: Item[]): Promise<void> {
    const producer = this.producer;
    try {
      await this.sendWith(producer, items);
      return;
    } catch (error) {
      if (!isSequenceDesync(error)) throw error;
    }
    try {
      await this.replace(producer);
      await this.sendWith(this.producer, items);
    } catch (error) {
      throw publishError(error, this.config.maxMessageBytes, this.config.sasl?.password);
    }
  }

  /** Swaps in a fresh producer for `failed` (once, however many batches saw it fail). */
  private async replace(failed: DriverProducer): Promise<void> {
    if (this.producer === failed) {
      this.producer = this.createProducer();
      this.replacements++;
      this.connected = false;
      this.connecting = undefined;
      void failed.disconnect().catch(() => undefined);
    }
    await this.connect();
  }

  private async sendWith(producer: DriverProducer, items: Item[]): Promise<void> {
    const byTopic = new Map<string, ProducerRecord[]>();
    for (const { record } of items) {
      const list = byTopic.get(record.topic);
      if (list) list.push(record);
      else byTopic.set(record.topic, [record]);
    }
    // One timer per batch, not per publish: a batch the broker has not acknowledged in time fails
    // (the items queued behind it go out in the next batch).
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PublishError(`Kafka did not acknowledge the publish within ${this.config.producer.timeoutMs} ms (kafka.producer.timeoutMs); it may still be written. Publish again with the same id: consumers drop the duplicate with an idempotency store.`)),
        this.config.producer.timeoutMs,
      );
    });
    const sent = producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers, timestamp: m.timestamp })) })),
    });
    try {
      await Promise.race([sent, timeout]);
    } catch (error) {
      sent.catch(() => undefined);
      if (isSequenceDesync(error)) throw error; // flush retries it on a fresh producer
      throw publishError(error, this.config.maxMessageBytes, this.config.sasl?.password);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The broker's OUT_OF_ORDER_SEQUENCE_NUMBER (error code 45), as kafkajs raises it. */
function isSequenceDesync(error: unknown): boolean {
  const e = error as { type?: unknown; code?: unknown } | undefined;
  return e?.type === 'OUT_OF_ORDER_SEQUENCE_NUMBER' || e?.code === 45;
}

function itemOf(record: ProducerRecord, envelope: Envelope): Item {
  return { record, size: envelopeSize(envelope) + recordOverhead(envelope) };
}

/** A kafkajs send error as a PublishError, naming the size limit when the broker refused a size; `secret` (the SASL password) is stripped. */
export function publishError(error: unknown, limit: number, secret?: string): PublishError {
  const type = (error as { type?: string } | undefined)?.type;
  return PublishError.from(error, (reason) =>
    type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE'
      ? `Kafka refused the publish as too large (${reason}); the transport accepts messages up to ${limit} bytes (kafka.maxMessageBytes), which must stay below the topic's max.message.bytes.`
      : `Kafka did not accept the publish: ${reason}`,
    [secret],
  );
}

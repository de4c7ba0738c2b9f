import { SendMessageBatchCommand, type BatchResultErrorEntry, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { Batcher, PublishError, redactText, type OutgoingMessage } from '@ferry/core/spi';
import type { EncodedMessage } from './codec.ts';
import { fifoId } from './names.ts';
import { SQS_LIMITS, type ResolvedConfig } from './options.ts';
import type { QueueInfo } from './queues.ts';

export interface OutgoingEntry {
  readonly message: OutgoingMessage;
  readonly encoded: EncodedMessage;
}

/** Sends one SendMessageBatch; the per-entry failures SQS reported (by Id) come back. */
export type SendBatch = (queueUrl: string, entries: SendMessageBatchRequestEntry[]) => Promise<readonly BatchResultErrorEntry[]>;

/** How often entries SQS failed on its side (SenderFault false: throttling, internal errors) are resent. */
const ENTRY_RETRIES = 5;

/**
 * Coalesces concurrent publishes into SendMessageBatch requests (10 entries, 1 MiB) per queue with
 * core's Batcher, and resends only the entries a batch reports as failed on SQS's side. Entries
 * SQS refuses as the sender's fault fail alone, with SQS's reason; the others of the batch are sent.
 *
 * A FIFO queue stores a message group in the order its messages arrive, and concurrent requests
 * arrive in any order: so a FIFO queue's publishes go through `maxConcurrentBatches` lanes, a key
 * always through the same one (by a hash of its group id), each lane one request at a time. Keys
 * still go out in parallel; one key's batches, and their resent entries, go out in publish order.
 */
export class Publisher {
  private readonly batchers = new Map<string, Batcher<OutgoingEntry>>();

  constructor(
    private readonly config: ResolvedConfig,
    private readonly sendBatch: SendBatch,
  ) {}

  static sendingWith(sqs: SQSClient): SendBatch {
    return async (QueueUrl, Entries) => (await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries }))).Failed ?? [];
  }

  publish(queue: QueueInfo, entry: OutgoingEntry): Promise<void> {
    const lanes = this.config.maxConcurrentBatches;
    const name = queue.fifo ? `${queue.url}#${laneOf(groupOf(entry.message), lanes)}` : queue.url;
    let batcher = this.batchers.get(name);
    if (!batcher) {
      batcher = new Batcher<OutgoingEntry>({
        maxItems: SQS_LIMITS.batchEntries,
        maxBytes: SQS_LIMITS.messageBytes,
        lingerMs: this.config.lingerMs,
        maxConcurrentFlushes: queue.fifo ? 1 : lanes,
        sizeOf: (e) => e.encoded.size,
        flush: (entries) => this.flush(queue, entries),
      });
      this.batchers.set(name, batcher);
    }
    return batcher.add(entry);
  }

  /** Resolves when every publish accepted so far has been answered. */
  async drain(): Promise<void> {
    await Promise.all([...this.batchers.values()].map((b) => b.drain()));
  }

  /** One batch: returns an error per entry that finally failed (undefined = accepted). */
  private async flush(queue: QueueInfo, entries: OutgoingEntry[]): Promise<Array<Error | undefined>> {
    const results: Array<Error | undefined> = entries.map(() => undefined);
    let pending = entries.map((_, i) => i);
    for (let round = 0; pending.length > 0; round++) {
      const failed = await this.sendBatch(
        queue.url,
        pending.map((i) => toRequestEntry(String(i), entries[i]!, queue.fifo)),
      );
      const retry: number[] = [];
      for (const f of failed) {
        const i = Number(f.Id);
        if (!f.SenderFault && round < ENTRY_RETRIES) {
          retry.push(i);
        } else {
          const id = entries[i]!.message.id;
          results[i] = new PublishError(`SQS refused message ${id} on queue \`${queue.name}\`: ${f.Code ?? 'error'}: ${redactText(f.Message ?? 'no reason given')}`);
        }
      }
      pending = retry;
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** round));
    }
    return results;
  }
}

/** The FIFO message group of a message: its key; without a key, no order is promised, so each message is its own group. */
function groupOf(message: OutgoingMessage): string {
  return fifoId(message.key ?? message.id);
}

/** A lane in 0..lanes-1 for a group id (FNV-1a: cheap, and spreads similar keys). */
function laneOf(group: string, lanes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < group.length; i++) h = Math.imul(h ^ group.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

/** The batch entry of one message; `Id` is its index in the batch (unique per request). */
export function toRequestEntry(id: string, entry: OutgoingEntry, fifo: boolean): SendMessageBatchRequestEntry {
  const { message, encoded } = entry;
  const request: SendMessageBatchRequestEntry = { Id: id, MessageBody: encoded.body, MessageAttributes: encoded.attributes };
  if (fifo) {
    request.MessageGroupId = groupOf(message);
    request.MessageDeduplicationId = fifoId(message.deduplicationId ?? message.id);
  } else if (message.delayMs !== undefined && message.delayMs > 0) {
    request.DelaySeconds = Math.min(SQS_LIMITS.delaySeconds, Math.ceil(message.delayMs / 1000));
  }
  return request;
}

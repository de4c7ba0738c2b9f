import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type BatchResultErrorEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Batcher, redactText } from '@ferry/core/spi';
import { SQS_LIMITS, type ResolvedConfig } from './options.ts';
import type { QueueInfo } from './queues.ts';

interface VisibilityChange {
  readonly receiptHandle: string;
  readonly seconds: number;
}

/**
 * Settles received messages of one queue in batches: acks become DeleteMessageBatch calls, and
 * nacks, releases and heartbeats ChangeMessageVisibilityBatch calls (10 entries each), so a busy
 * consumer makes one request per ten settlements instead of one each.
 */
export class SettleBatcher {
  private readonly deletes: Batcher<string>;
  private readonly changes: Batcher<VisibilityChange>;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queue: QueueInfo,
    config: ResolvedConfig,
  ) {
    const common = { maxItems: SQS_LIMITS.batchEntries, maxBytes: Number.MAX_SAFE_INTEGER, lingerMs: config.lingerMs, maxConcurrentFlushes: config.maxConcurrentBatches, sizeOf: () => 1 };
    this.deletes = new Batcher<string>({ ...common, flush: (handles) => this.delete(handles) });
    this.changes = new Batcher<VisibilityChange>({ ...common, flush: (changes) => this.change(changes) });
  }

  ack(receiptHandle: string): Promise<void> {
    return this.deletes.add(receiptHandle);
  }

  /** Visible again after `seconds` (0: now), up to SQS's 12 hours. */
  setVisibility(receiptHandle: string, seconds: number): Promise<void> {
    return this.changes.add({ receiptHandle, seconds: Math.max(0, Math.min(SQS_LIMITS.visibilitySeconds, Math.ceil(seconds))) });
  }

  async drain(): Promise<void> {
    await Promise.all([this.deletes.drain(), this.changes.drain()]);
  }

  private async delete(handles: string[]): Promise<Array<Error | undefined>> {
    const entries = handles.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle }));
    const { Failed = [] } = await this.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.queue.url, Entries: entries }));
    return this.errors(handles.length, Failed, 'delete');
  }

  private async change(changes: VisibilityChange[]): Promise<Array<Error | undefined>> {
    const entries = changes.map((c, i) => ({ Id: String(i), ReceiptHandle: c.receiptHandle, VisibilityTimeout: c.seconds }));
    const { Failed = [] } = await this.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.queue.url, Entries: entries }));
    return this.errors(changes.length, Failed, 'change the visibility of');
  }

  private errors(count: number, failed: readonly BatchResultErrorEntry[], what: string): Array<Error | undefined> {
    const errors: Array<Error | undefined> = new Array(count).fill(undefined);
    for (const f of failed) {
      errors[Number(f.Id)] = new Error(`SQS could not ${what} a message of queue \`${this.queue.name}\`: ${f.Code ?? 'error'}: ${redactText(f.Message ?? '')}`);
    }
    return errors;
  }
}

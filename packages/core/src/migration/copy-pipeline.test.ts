import { describe, expect, it } from 'vitest';
import { DeliveryGate, type GatedDelivery } from '../consumer/delivery-gate.ts';
import { CapabilityError, MessageTooLargeError } from '../errors.ts';
import type { OutgoingMessage } from '../spi/envelope.ts';
import { CopyPipeline, type CopySettings } from './copy-pipeline.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deliveries through a real DeliveryGate, their acks recorded. */
function source() {
  const acked: string[] = [];
  const released: string[] = [];
  const received: GatedDelivery[] = [];
  const gate = new DeliveryGate(100_000, (d) => received.push(d));
  const deliver = (id: string, key?: string, size = 1) =>
    gate.deliver({
      envelope: { id, type: 't', topic: 'orders', key, headers: {}, payload: new Uint8Array(size), timestamp: 1 },
      attempt: 1,
      coordinates: {},
      ack: async () => void acked.push(id),
      nack: async () => undefined,
      release: async () => void released.push(id),
    });
  return { acked, released, received, gate, deliver };
}

function settings(overrides: Partial<CopySettings>): CopySettings {
  return {
    batchSize: 10,
    maxBatchesInFlight: 4,
    orderedByKey: true,
    publish: async () => undefined,
    toOutgoing: (d) => ({ ...d.envelope }),
    refuse: async () => undefined,
    onError: () => undefined,
    onCopied: () => undefined,
    ...overrides,
  };
}

describe('CopyPipeline', () => {
  it('acks only what the destination confirmed; a key is never in two publishes under way, so its order holds', async () => {
    const src = source();
    const sent: string[] = [];
    const underWay = new Map<string, number>();
    let overlap = 0;
    const pipeline = new CopyPipeline(
      settings({
        publish: async (messages: readonly OutgoingMessage[]) => {
          const keys = new Set(messages.map((m) => m.key!));
          for (const k of keys) {
            if (underWay.get(k)) overlap++;
            underWay.set(k, 1);
          }
          await sleep(Math.random() * 5);
          // Every message must not be acked before its publish confirmed.
          for (const m of messages) expect(src.acked).not.toContain(m.id);
          sent.push(...messages.map((m) => m.id));
          for (const k of keys) underWay.set(k, 0);
        },
      }),
    );
    for (let n = 0; n < 400; n++) src.deliver(`k${n % 7}-${n}`, `k${n % 7}`);
    for (const d of src.received) pipeline.add(d);
    while (src.acked.length < 400) await sleep(5);
    expect(overlap).toBe(0);
    for (let k = 0; k < 7; k++) {
      const mine = sent.filter((id) => id.startsWith(`k${k}-`)).map((id) => Number(id.split('-')[1]));
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
    expect(new Set(sent).size).toBe(400);
  });

  it('tries a failed publish again until it succeeds, reporting each failure', async () => {
    const src = source();
    const errors: unknown[] = [];
    let calls = 0;
    const pipeline = new CopyPipeline(
      settings({
        publish: async () => {
          if (++calls < 3) throw new Error('destination down');
        },
        onError: (e) => errors.push(e),
      }),
    );
    src.deliver('a');
    pipeline.add(src.received[0]!);
    while (src.acked.length < 1) await sleep(10);
    expect(errors.map(String)).toEqual(['Error: destination down', 'Error: destination down']);
  });

  it('a message the destination refuses for good is handed to refuse(); the rest of its batch is copied', async () => {
    const src = source();
    const refused: string[] = [];
    const pipeline = new CopyPipeline(
      settings({
        publish: async (messages) => {
          if (messages.some((m) => m.payload.length > 100)) throw new MessageTooLargeError('dest', 200, 100);
          if (messages.some((m) => m.id === 'prio')) throw new CapabilityError('dest', 'priority', 'no', 'no');
        },
        refuse: async (d) => {
          refused.push(d.envelope.id);
          await d.ack();
        },
      }),
    );
    src.deliver('small-1');
    src.deliver('big', undefined, 200);
    src.deliver('prio');
    src.deliver('small-2');
    for (const d of src.received) pipeline.add(d);
    while (src.acked.length < 4) await sleep(5);
    expect(refused).toEqual(['big', 'prio']);
  });

  it('stop() lets the publish under way finish and be acked, then starts nothing more', async () => {
    const src = source();
    let release!: () => void;
    const published: string[][] = [];
    const pipeline = new CopyPipeline(
      settings({
        batchSize: 2,
        maxBatchesInFlight: 1,
        publish: async (messages) => {
          published.push(messages.map((m) => m.id));
          await new Promise<void>((r) => (release = r));
        },
      }),
    );
    for (const id of ['a', 'b', 'c', 'd']) src.deliver(id);
    for (const d of src.received) pipeline.add(d);
    await sleep(5);
    const stopped = pipeline.stop();
    release();
    await stopped;
    // The first went alone (nothing was under way); the others waited for it.
    expect(published).toEqual([['a']]);
    expect(src.acked).toEqual(['a']);
    await src.gate.releaseAll();
    expect(src.released.sort()).toEqual(['b', 'c', 'd']);
  });
});

import { silentLogger } from '@ferry/core/spi';
import { describe, expect, it } from 'vitest';
import { CommitBatcher } from './commit-batcher.ts';
import type { DriverConsumer } from './driver.ts';
import { FakeConsumer } from './fake-consumer.ts';
import { Partition } from './partition.ts';

function setup() {
  const consumer = new FakeConsumer();
  const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
  const logger = { ...silentLogger, warn: (fields: Record<string, unknown>, message: string) => void warnings.push({ fields, message }) };
  const commits = new CommitBatcher(() => consumer as unknown as DriverConsumer, { group: 'g', logger: () => logger });
  const part = (topic: string, partition: number, offsets: number[]) => {
    const p = new Partition(topic, partition, false);
    for (const o of offsets) p.tracker.take(o);
    return p;
  };
  const committed = () => consumer.commits.map((c) => c.map((o) => `${o.topic}:${o.partition}@${o.offset}`));
  return { consumer, commits, part, committed, warnings };
}

describe('CommitBatcher', () => {
  it('commits up to the lowest unfinished offset, and covers what arrives during a commit with the next one', async () => {
    const { consumer, commits, part, committed } = setup();
    const a = part('t', 0, [0, 1, 2, 3]);
    const b = part('t', 1, [7]);
    let release!: () => void;
    consumer.beforeCommit = () => new Promise<void>((r) => (release = r));
    a.tracker.finish(0);
    a.tracker.finish(2); // 1 is still running: the position stays at 1
    const first = commits.request(a);
    await new Promise((r) => setTimeout(r, 0));
    a.tracker.finish(1);
    b.tracker.finish(7);
    commits.mark(a);
    const second = commits.request(b);
    consumer.beforeCommit = undefined;
    release();
    await Promise.all([first, second]);
    expect(committed()).toEqual([['t:0@1'], ['t:0@3', 't:1@8']]);
    expect(a.committed).toBe(3);
  });

  it('skips a released partition, and a position not past the one committed', async () => {
    const { commits, part, committed } = setup();
    const gone = part('t', 0, [0]);
    gone.tracker.finish(0);
    gone.released = true;
    const same = part('t', 1, [4]);
    same.tracker.finish(4);
    same.committed = 5;
    await commits.request(gone);
    await commits.request(same);
    expect(committed()).toEqual([]);
  });

  it('at-most-once: commits past earlier unfinished offsets once a later one is acked', async () => {
    const { commits, part, committed } = setup();
    const p = part('t', 0, [0, 1, 2]);
    p.tracker.finish(2);
    p.ackedAbove = 3;
    await commits.request(p);
    expect(committed()).toEqual([['t:0@3']]);
  });

  it('a failed commit resolves its requests, changes nothing, and the next commit covers it', async () => {
    const { consumer, commits, part, committed } = setup();
    const p = part('t', 0, [0]);
    p.tracker.finish(0);
    consumer.beforeCommit = () => Promise.reject(new Error('rebalance in progress'));
    await commits.request(p);
    expect(p.committed).toBe(-1);
    consumer.beforeCommit = undefined;
    await commits.flush([p]);
    expect(committed()).toEqual([['t:0@1']]);
    await commits.idle();
  });

  it('flush (close) tries a failed commit again, and gives up after three tries with a warning naming what stays uncommitted', async () => {
    const { consumer, commits, part, committed, warnings } = setup();
    const p = part('t', 0, [0, 1]);
    p.tracker.finish(0);
    p.tracker.finish(1);
    let failures = 1;
    consumer.beforeCommit = () => (failures-- > 0 ? Promise.reject(new Error('coordinator load in progress')) : Promise.resolve());
    await commits.flush([p]);
    expect(committed()).toEqual([['t:0@2']]);
    expect(p.committed).toBe(2);
    expect(warnings).toEqual([]);

    const q = part('t', 1, [0]);
    q.tracker.finish(0);
    let tries = 0;
    consumer.beforeCommit = () => {
      tries++;
      return Promise.reject(new Error('not coordinator'));
    };
    await commits.flush([q]);
    expect(tries).toBe(3);
    expect(q.committed).toBe(-1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('Kafka group `g` could not commit its final offsets at close after 3 tries (not coordinator)');
    expect(warnings[0]!.message).toContain('t:1@1');
    expect(warnings[0]!.fields).toMatchObject({ group: 'g', uncommitted: ['t:1@1'], err: { message: 'not coordinator' } });
  });

  it("idleFor waits for the partition's own commit under way, not for other partitions' commits", async () => {
    const { consumer, commits, part } = setup();
    const a = part('t', 0, [0]);
    const b = part('t', 1, [0, 1]);
    a.tracker.finish(0);
    let release!: () => void;
    consumer.beforeCommit = () => new Promise<void>((r) => (release = r));
    const first = commits.request(a);
    await new Promise((r) => setTimeout(r, 0));
    // b has nothing queued or committing: at once, while a's commit is held.
    await commits.idleFor(b);
    let aIdle = false;
    const waiting = commits.idleFor(a).then(() => (aIdle = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(aIdle).toBe(false);
    consumer.beforeCommit = undefined;
    release();
    await Promise.all([first, waiting]);
    expect(a.committed).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import type { Delivery } from '../spi/delivery.ts';
import { DeliveryGate, type GatedDelivery } from './delivery-gate.ts';

/** An adapter's delivery that records what core asked of it; `fail` makes the next calls reject. */
function fake(id: string, options: { transact?: boolean } = {}) {
  const calls: string[] = [];
  let failures = 0;
  const settle = (what: string) => {
    calls.push(what);
    if (failures > 0) {
      failures--;
      return Promise.reject(new Error(`${what} failed`));
    }
    return Promise.resolve();
  };
  const delivery: Delivery = {
    envelope: { id, type: 't', topic: 'orders', headers: {}, payload: new Uint8Array(0), timestamp: 0 },
    attempt: 1,
    coordinates: { offset: 1 },
    ack: () => settle('ack'),
    nack: (delayMs) => settle(`nack ${delayMs}`),
    release: () => settle('release'),
    ...(options.transact ? { transact: async (work) => void (await work(async () => void calls.push('send')), calls.push('commit')) } : {}),
  };
  return { delivery, calls, fail: (n: number) => void (failures = n) };
}

function gate(maxInFlight: number) {
  const handed: GatedDelivery[] = [];
  const errors: unknown[] = [];
  const g = new DeliveryGate(maxInFlight, (d) => void handed.push(d), (e) => void errors.push(e));
  return { g, handed, errors };
}

describe('DeliveryGate', () => {
  it('room is maxInFlight minus the deliveries held; the first settle call frees the slot, later ones do nothing', async () => {
    const { g, handed } = gate(2);
    const a = fake('a');
    const b = fake('b');
    g.deliver(a.delivery);
    g.deliver(b.delivery);
    expect(g.room).toBe(0);
    await handed[0]!.ack();
    expect(g.room).toBe(1);
    await handed[0]!.ack();
    await handed[0]!.nack(5);
    await handed[1]!.nack(5);
    await handed[1]!.nack(5);
    expect(a.calls).toEqual(['ack']);
    expect(b.calls).toEqual(['nack 5']);
    expect(g.room).toBe(2);
    expect(g.inFlight).toBe(0);
  });

  it('a settle call that rejected may be made again, without taking its slot back', async () => {
    const { g, handed } = gate(1);
    const a = fake('a');
    a.fail(1);
    g.deliver(a.delivery);
    await expect(handed[0]!.nack(10)).rejects.toThrow('nack 10 failed');
    expect(g.room).toBe(1);
    handed[0]!.settleFailed();
    await handed[0]!.nack(10);
    await handed[0]!.nack(10);
    expect(a.calls).toEqual(['nack 10', 'nack 10']);
  });

  it('releaseAll releases what is held or failed, not what is being settled; settle calls after it do nothing', async () => {
    const { g, handed } = gate(4);
    const [held, failed, settling] = [fake('held'), fake('failed'), fake('settling')];
    for (const f of [held, failed, settling]) g.deliver(f.delivery);
    failed.fail(1);
    await handed[1]!.ack().catch(() => handed[1]!.settleFailed());
    void handed[2]!.ack();
    await g.releaseAll();
    await handed[0]!.ack();
    await handed[1]!.nack(1);
    expect(held.calls).toEqual(['release']);
    expect(failed.calls).toEqual(['ack', 'release']);
    expect(settling.calls).toEqual(['ack']);
    expect(g.room).toBe(0);
  });

  it('once stopped, room is 0 and a delivery handed is released at once, never handed on', () => {
    const { g, handed } = gate(4);
    g.stop();
    const late = fake('late');
    g.deliver(late.delivery);
    expect(handed).toEqual([]);
    expect(late.calls).toEqual(['release']);
    expect(g.room).toBe(0);
    expect(g.stopped).toBe(true);
  });

  it('whenRoom resolves when a slot is freed or the gate stops, not before', async () => {
    const { g, handed } = gate(1);
    g.deliver(fake('a').delivery);
    let woke = 0;
    void g.whenRoom().then(() => woke++);
    await new Promise((r) => setTimeout(r, 5));
    expect(woke).toBe(0);
    await handed[0]!.ack();
    await new Promise((r) => setTimeout(r, 0));
    expect(woke).toBe(1);
    void g.whenRoom().then(() => woke++);
    g.stop();
    await new Promise((r) => setTimeout(r, 0));
    expect(woke).toBe(2);
    await g.whenRoom();
  });

  it('a transaction keeps the slot while it runs and settles the delivery when it commits; it cannot follow an ack', async () => {
    const { g, handed } = gate(1);
    const a = fake('a', { transact: true });
    g.deliver(a.delivery);
    let roomDuring = -1;
    await handed[0]!.transact!(async (send) => {
      await send([]);
      roomDuring = g.room;
    });
    expect(roomDuring).toBe(0);
    expect(a.calls).toEqual(['send', 'commit']);
    expect(g.room).toBe(1);
    await handed[0]!.ack();
    expect(a.calls).toEqual(['send', 'commit']);

    const b = fake('b', { transact: true });
    g.deliver(b.delivery);
    await handed[1]!.ack();
    await expect(handed[1]!.transact!(async () => undefined)).rejects.toMatchObject({ code: 'FERRY_SETTLED' });
    expect(fake('c').delivery.transact).toBeUndefined();
  });

  it('a delivery without transact offers none; one whose onDelivery throws is reported and the next is handed', () => {
    const errors: unknown[] = [];
    const handed: string[] = [];
    const g = new DeliveryGate(4, (d) => {
      if (d.envelope.id === 'bad') throw new Error('bug');
      handed.push(d.envelope.id);
    }, (e) => void errors.push(e));
    g.deliver(fake('bad').delivery);
    g.deliver(fake('good').delivery);
    expect(handed).toEqual(['good']);
    expect(errors).toEqual([new Error('bug')]);
  });
});

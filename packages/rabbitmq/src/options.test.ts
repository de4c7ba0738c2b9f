import { describe, expect, it } from 'vitest';
import { ConfigError } from '@ferry/core';
import { resolveConfig } from './options.ts';
import { tierFor } from './names.ts';
import { RabbitMqTransport } from './transport.ts';

const url = new URL('amqp://user:secret@127.0.0.1:5672/vh');

describe('rabbitmq options', () => {
  it('applies defaults', () => {
    const c = resolveConfig(url, {});
    expect(c.queueType).toBe('quorum');
    expect(c.singleActiveConsumer).toBe('never');
    expect(c.confirmWindow).toBe(2_000);
    expect(c.delayTiersMs[0]).toBe(50);
  });

  it('takes the heartbeat from the URL unless the options set it', () => {
    expect(resolveConfig(new URL('amqp://h/?heartbeat=30'), {}).heartbeatSeconds).toBe(30);
    expect(resolveConfig(new URL('amqp://h/?heartbeat=30'), { heartbeatSeconds: 5 }).heartbeatSeconds).toBe(5);
  });

  it('names the bad option in a ConfigError', () => {
    expect(() => resolveConfig(url, { queueType: 'stream' })).toThrow(ConfigError);
    expect(() => resolveConfig(url, { queueType: 'stream' })).toThrow(/rabbitmq\.queueType/);
    expect(() => resolveConfig(url, { maxPriority: 300 })).toThrow(/rabbitmq\.maxPriority/);
    expect(() => resolveConfig(url, { nope: 1 })).toThrow(/nope/);
    expect(() => resolveConfig(url, { tls: { rejectUnauthorized: false } })).toThrow(/amqps/);
    expect(() => resolveConfig(new URL('kafka://x:1'), {})).toThrow(ConfigError);
  });

  it('sorts and de-duplicates delay tiers; picks the smallest tier that holds a delay', () => {
    const c = resolveConfig(url, { delayTiersMs: [1000, 100, 1000, 10] });
    expect(c.delayTiersMs).toEqual([10, 100, 1000]);
    expect(tierFor(c.delayTiersMs, 1)).toBe(10);
    expect(tierFor(c.delayTiersMs, 100)).toBe(100);
    expect(tierFor(c.delayTiersMs, 101)).toBe(1000);
    expect(tierFor(c.delayTiersMs, 1001)).toBeUndefined();
  });

  it('declares capabilities from the options', () => {
    const plain = new RabbitMqTransport(url, {});
    expect(plain.capabilities).toMatchObject({ orderingByKey: false, fanOut: true, replay: [], priority: false, delay: { maxMs: 86_400_000 }, transactions: false });
    const rich = new RabbitMqTransport(url, { priorityTopics: ['jobs'], maxPriority: 5, streamTopics: ['audit'], singleActiveConsumer: 'ordered' });
    expect(rich.capabilities).toMatchObject({ orderingByKey: true, replay: ['earliest', 'timestamp'], priority: { max: 5 } });
  });
});

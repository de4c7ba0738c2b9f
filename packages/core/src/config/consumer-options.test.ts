import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Client, createClient } from '../client/client.ts';
import { CapabilityError, ConfigError } from '../errors.ts';
import { defineMessage } from '../message.ts';
import type { Capabilities } from '../spi/capabilities.ts';
import type { Transport } from '../spi/transport.ts';

// Configuration is checked before any message moves, so a transport that only declares
// capabilities is enough here; message flow is tested on real transports elsewhere.
function declaredOnly(capabilities: Partial<Capabilities>): Transport {
  return {
    name: 'queue-like',
    capabilities: { orderingByKey: false, fanOut: false, replay: [], delay: { maxMs: 900_000 }, priority: false, nativeDeadLetter: true, transactions: false, maxMessageBytes: 1000, ...capabilities },
    connect: async () => undefined,
    send: async () => undefined,
    subscribe: async () => {
      throw new Error('not used');
    },
    close: async () => undefined,
  };
}

const Ping = defineMessage('ping', z.object({ n: z.number() }));

describe('configuration errors name the option and the fix', () => {
  const client = new Client(declaredOnly({}));

  it('refuses an unknown delivery mode', () => {
    expect(() => client.consumer({ group: 'g', delivery: 'twice' as never })).toThrowError(ConfigError);
    expect(() => client.consumer({ group: 'g', delivery: 'twice' as never })).toThrowError(/consumer\.delivery.*"at-most-once", "at-least-once", "exactly-once"/);
  });

  it('refuses a misspelt option', () => {
    expect(() => client.consumer({ group: 'g', concurency: 4 } as never)).toThrowError(/`consumer\.concurency`.*Remove `concurency` \(did you mean `concurrency`\?\)/);
  });

  it('refuses maxDeliveries below the retry attempts, which would cut retries short', () => {
    expect(() => client.consumer({ group: 'g', maxDeliveries: 3 })).toThrowError(/consumer\.maxDeliveries.*below the 5 attempts.*at least 5, or retry\.attempts to at most 3/);
    expect(() => client.consumer({ group: 'g', maxDeliveries: { limit: 2 }, retry: { attempts: 3 } })).toThrowError(ConfigError);
    expect(() => client.consumer({ group: 'g', maxDeliveries: 3, retry: { attempts: 3 } })).not.toThrow();
    expect(() => client.consumer({ group: 'g', maxDeliveries: 1, delivery: 'at-most-once' })).not.toThrow();
  });

  it('refuses nested bad values by path', () => {
    expect(() => client.consumer({ group: 'g', retry: { attempts: 0 } })).toThrowError(/consumer\.retry\.attempts.*>= 1/);
    expect(() => client.consumer({ group: '' })).toThrowError(/consumer\.group/);
  });

  it('refuses retries under at-most-once', () => {
    expect(() => client.consumer({ group: 'g', delivery: 'at-most-once', retry: { attempts: 3 } })).toThrowError(/at-most-once acknowledges before/);
  });

  it('refuses a bad URL scheme without leaking the password', async () => {
    const error = await createClient('nats://u:hunter2@host').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).not.toContain('hunter2');
    expect(String(error)).toMatch(/unknown scheme "nats:"/);
  });
});

describe('capabilities are refused when configured, with what to do instead', () => {
  const client = new Client(declaredOnly({}));

  it('refuses replay on a transport without it', () => {
    const error = (() => {
      try {
        client.consumer({ group: 'g', start: { from: 'earliest' } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CapabilityError);
    expect(String(error)).toMatch(/queue-like transport does not support replay/);
  });

  it('refuses priority and over-long delays at publish', async () => {
    const producer = client.producer();
    await expect(producer.publish(Ping, { n: 1 }, { priority: 5 })).rejects.toThrowError(/does not support message priority/);
    await expect(producer.publish(Ping, { n: 1 }, { delayMs: 3_600_000 })).rejects.toThrowError(/delays over 900000 ms/);
  });

  it('refuses a retry backoff longer than the transport can delay', () => {
    expect(() => client.consumer({ group: 'g', retry: { attempts: 20, initialDelayMs: 1000, maxDelayMs: 3_600_000 } })).toThrowError(CapabilityError);
  });

  it('refuses a payload over the size limit and a payload that fails its schema, before sending', async () => {
    const producer = client.producer();
    await expect(producer.publish(Ping, { n: 'x' } as never)).rejects.toThrowError(/fails its schema: n:/);
    const Big = defineMessage('big', z.string());
    await expect(producer.publish(Big, 'x'.repeat(2000))).rejects.toThrowError(/exceeds the queue-like transport's limit of 1000 bytes/);
  });

  it('exposes the capabilities at runtime', () => {
    expect(client.capabilities.replay).toEqual([]);
    expect(client.capabilities.maxMessageBytes).toBe(1000);
  });
});

describe('defaults follow the transport', () => {
  it('refuses orderedByKey: true where the transport cannot order by key, and defaults it off there', () => {
    const client = new Client(declaredOnly({ orderingByKey: false }));
    expect(() => client.consumer({ group: 'g', orderedByKey: true })).toThrowError(/does not support per-key ordering/);
    expect(() => client.consumer({ group: 'g' })).not.toThrow();
  });

  it('retries at once by default on a transport without delay, and refuses an explicit backoff there', () => {
    const client = new Client(declaredOnly({ delay: false }));
    expect(() => client.consumer({ group: 'g' })).not.toThrow();
    expect(() => client.consumer({ group: 'g', retry: { attempts: 3, initialDelayMs: 100 } })).toThrowError(/does not support delayed delivery/);
    expect(() => client.consumer({ group: 'g', retry: { attempts: 3, initialDelayMs: 0, maxDelayMs: 0 } })).not.toThrow();
  });
});

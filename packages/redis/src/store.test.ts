// RedisIdempotencyStore beyond the contract: configuration errors, Redis down, a connection lost
// mid-operation, secrets kept out of errors and inspection, and what close() closes. Real Redis
// (FERRY_REDIS_URL or 127.0.0.1:6379); faults through a TCP proxy in front of it.
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { createClient as createFerryClient, defineMessage, StoreError } from '@ferry/core';
import { MemoryTransport } from '@ferry/memory';
import { startUrlProxy, type UrlProxy } from '@ferry/testkit';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RedisIdempotencyStore } from './store.ts';
import { REDIS_URL, uniquePrefix } from './test-support.ts';

const lease = { leaseMs: 5_000, ttlMs: 60_000 };
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

async function proxy(): Promise<UrlProxy> {
  const p = await startUrlProxy(REDIS_URL, 6379);
  cleanups.push(() => p.close());
  return p;
}

function store(options: ConstructorParameters<typeof RedisIdempotencyStore>[0]): RedisIdempotencyStore {
  const s = new RedisIdempotencyStore({ keyPrefix: uniquePrefix(), ...options });
  cleanups.push(() => s.close());
  return s;
}

/** A node-redis client of the test's own, closed after the test. */
async function rawClient() {
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => undefined);
  await client.connect();
  cleanups.push(() => client.close());
  return client;
}

describe('RedisIdempotencyStore configuration', () => {
  it('refuses a URL that is not redis:// or rediss://, naming the URL without its password', () => {
    const make = () => new RedisIdempotencyStore({ url: 'http://app:s3cr3t@cache:6379' });
    expect(make).toThrow(expect.objectContaining({ code: 'FERRY_CONFIG' }));
    expect(make).toThrow(/http:\/\/app:\*\*\*@cache:6379.*scheme http.*redis:\/\/host:6379/);
    expect(make).not.toThrow(/s3cr3t/);
    expect(() => new RedisIdempotencyStore({ url: 'not a url' })).toThrow(/is not a URL/);
  });

  it('needs exactly one of url and client', () => {
    expect(() => new RedisIdempotencyStore({})).toThrow(/exactly one of `url` and `client`/);
  });
});

describe('RedisIdempotencyStore failures', () => {
  it('Redis down at connect: a FERRY_STORE error naming the address (password hidden), and it connects once Redis answers', async () => {
    const p = await proxy();
    p.pause(); // connections wait: nothing answers
    const s = store({ url: p.url('s3cr3t'), connectTimeoutMs: 300 });
    const error = (await s.claim(randomUUID(), 't', lease).catch((e: unknown) => e)) as StoreError;
    expect(error).toBeInstanceOf(StoreError);
    expect(error.code).toBe('FERRY_STORE');
    expect(error.message).toMatch(new RegExp(`cannot connect to redis://:\\*\\*\\*@127\\.0\\.0\\.1:${p.port}.*Start Redis`));
    expect(error.message).not.toContain('s3cr3t');
    expect(inspect(error, { depth: 5 })).not.toContain('s3cr3t');
    p.resume();
    // The machine's Redis has no password: AUTH with one fails, so reach it without.
    const ok = store({ url: p.url(), connectTimeoutMs: 2_000 });
    expect(await ok.claim(randomUUID(), 't', lease)).toEqual({ state: 'claimed', claims: 1 });
  });

  it('nothing listening: a FERRY_STORE error at once, not a hang', async () => {
    const s = store({ url: 'redis://127.0.0.1:1' });
    await expect(s.claim('k', 't', lease)).rejects.toMatchObject({ code: 'FERRY_STORE', message: expect.stringMatching(/cannot connect to redis:\/\/127\.0\.0\.1:1.*ECONNREFUSED/) });
  });

  it('a connection lost mid-operation fails that operation with FERRY_STORE; the store reconnects for the next one', async () => {
    const p = await proxy();
    const s = store({ url: p.url(), commandTimeoutMs: 500 });
    const key = randomUUID();
    expect(await s.claim(key, 'a', lease)).toEqual({ state: 'claimed', claims: 1 });
    p.pause();
    const pending = s.complete(key, 'a', 60_000).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    p.cutAll();
    p.resume();
    const error = (await pending) as StoreError;
    expect(error).toBeInstanceOf(StoreError);
    expect(error.message).toMatch(/complete of key .* failed: .*not acknowledged/);
    // The lost complete never reached Redis: the key is still held by `a`, who can complete it now.
    await expect.poll(() => s.complete(key, 'a', 60_000).catch(() => 'error'), { timeout: 5_000, interval: 100 }).toBe(true);
    expect(await s.claim(key, 'b', lease)).toEqual({ state: 'completed' });
  });

  it('a command with no reply within commandTimeoutMs fails with FERRY_STORE', async () => {
    const p = await proxy();
    const s = store({ url: p.url(), commandTimeoutMs: 200 });
    await s.claim(randomUUID(), 't', lease);
    p.pause();
    await expect(s.claim(randomUUID(), 't', lease)).rejects.toMatchObject({ code: 'FERRY_STORE', message: expect.stringMatching(/claim of key .* failed/) });
    p.resume();
  });

  it('under exactly-once, a message whose claim fails while Redis is unreachable is not acknowledged: it is handled once Redis is back', async () => {
    const p = await proxy();
    const s = store({ url: p.url(), commandTimeoutMs: 200 });
    await s.claim(randomUUID(), 'warm-up', lease);
    const Job = defineMessage('job', z.object({ n: z.number() }), { topic: `jobs-${randomUUID()}` });
    const client = await createFerryClient(new MemoryTransport({ broker: `redis-down-${randomUUID()}` }));
    cleanups.push(() => client.close({ timeoutMs: 1_000 }));
    const handled: number[] = [];
    const errors: string[] = [];
    await client
      .consumer({ group: 'g', delivery: 'exactly-once', idempotency: { store: s }, retry: { attempts: 50, initialDelayMs: 100, maxDelayMs: 200, jitter: 0 }, hooks: { onRetry: (_ctx, e) => void errors.push((e as Error).message) } })
      .handle(Job, (job) => void handled.push(job.n))
      .start();
    p.pause();
    await client.producer().publish(Job, { n: 1 });
    await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(handled).toEqual([]);
    expect(errors[0]).toMatch(/FERRY_STORE|Redis idempotency store/);
    p.cutAll();
    p.resume();
    await expect.poll(() => handled, { timeout: 10_000 }).toEqual([1]);
  });
});

describe('RedisIdempotencyStore batching', () => {
  it('64 concurrent claims, then their completions, go out as one script call each (two claims of one key in a batch: one wins)', async () => {
    const client = await rawClient();
    const commands: string[] = [];
    const counted = { isOpen: true, sendCommand: (args: ReadonlyArray<string>) => (commands.push(args[0]!), client.sendCommand(args)) };
    const s = new RedisIdempotencyStore({ client: counted, keyPrefix: uniquePrefix() });
    const keys = Array.from({ length: 64 }, () => randomUUID());
    const claims = await Promise.all([...keys.map((k) => s.claim(k, `t-${k}`, lease)), s.claim(keys[0]!, 'twin', lease)]);
    expect(claims.slice(0, 64).every((c) => c.state === 'claimed' && c.claims === 1)).toBe(true);
    expect(claims[64]!.state).toBe('in-progress');
    expect(await Promise.all(keys.map((k) => s.complete(k, `t-${k}`, 60_000)))).toEqual(keys.map(() => true));
    expect(commands.filter((c) => c === 'EVALSHA' || c === 'EVAL').length).toBeLessThanOrEqual(4); // + EVAL after a NOSCRIPT, at most once each
    expect(await Promise.all(keys.map((k) => s.claim(k, 'late', lease)))).toEqual(keys.map(() => ({ state: 'completed' })));
  });
});

describe('RedisIdempotencyStore secrets and ownership', () => {
  it('util.inspect and JSON show the address with the password replaced, never the password', () => {
    const s = new RedisIdempotencyStore({ url: 'redis://app:s3cr3t@cache:6379/2' });
    expect(inspect(s, { depth: 10, showHidden: true })).not.toContain('s3cr3t');
    expect(inspect(s)).toContain('redis://app:***@cache:6379/2');
    expect(JSON.stringify(s)).not.toContain('s3cr3t');
  });

  it('uses a client given to it and leaves it open on close; shares keys with a URL store on the same prefix', async () => {
    const client = await rawClient();
    const keyPrefix = uniquePrefix();
    const given = new RedisIdempotencyStore({ client, keyPrefix });
    const own = store({ url: REDIS_URL, keyPrefix });
    const key = randomUUID();
    expect(await given.claim(key, 't', lease)).toEqual({ state: 'claimed', claims: 1 });
    expect(await given.complete(key, 't', 60_000)).toBe(true);
    expect(await own.claim(key, 'u', lease)).toEqual({ state: 'completed' });
    await given.close();
    expect(client.isOpen).toBe(true);
    expect(await client.get(`${keyPrefix}${key}`)).toBe('c');
    await expect(given.claim(key, 'v', lease)).rejects.toMatchObject({ code: 'FERRY_STORE', message: expect.stringMatching(/is closed/) });
  });

  it('writes completed keys with the TTL as their expiry, and nothing outside its prefix', async () => {
    const client = await rawClient();
    const keyPrefix = uniquePrefix();
    const s = store({ url: REDIS_URL, keyPrefix });
    await s.claim('a', 't', lease);
    await s.complete('a', 't', 60_000);
    const ttl = await client.pTTL(`${keyPrefix}a`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await client.keys(`${keyPrefix}*`)).toEqual([`${keyPrefix}a`]);
  });

  it('runs the scripts again after the server forgot them (SCRIPT FLUSH): EVALSHA falls back to EVAL', async () => {
    const client = await rawClient();
    const s = store({ url: REDIS_URL });
    await s.claim('x', 't', lease);
    await client.sendCommand(['SCRIPT', 'FLUSH']);
    expect(await s.complete('x', 't', 60_000)).toBe(true);
  });
});

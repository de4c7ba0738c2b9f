import { createHash } from 'node:crypto';

/**
 * The store's four operations as Lua scripts, each atomic on the server. A key's value is one
 * string: `c` when completed, `p:<claims>:<lease until, ms>:<token>` while claimed. Time is the
 * server's (`TIME`), so the clocks of the processes sharing the store do not matter.
 */

/** Server time in ms. Lua 5.1 numbers print ms timestamps exactly (%.14g). */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1]; ARGV: token, leaseMs, ttlMs → {0, claims} claimed | {1, retryInMs} in progress | {2, 0} completed. */
const CLAIM = `${NOW}
local lease = tonumber(ARGV[2])
local v = redis.call('GET', KEYS[1])
local claims = 1
if v then
  if v == 'c' then return {2, 0} end
  local n, l = string.match(v, '^p:(%d+):(%d+):')
  l = tonumber(l)
  if l > now then return {1, l - now} end
  claims = tonumber(n) + 1
end
redis.call('SET', KEYS[1], 'p:' .. claims .. ':' .. (now + lease) .. ':' .. ARGV[1], 'PX', math.max(tonumber(ARGV[3]), lease))
return {0, claims}`;

/** KEYS[1]; ARGV: token, leaseMs → 1 renewed | 0 not held. The record lives at least as long as the lease. */
const EXTEND = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local n, token = string.match(v, '^p:(%d+):%d+:(.*)$')
if token ~= ARGV[1] then return 0 end
${NOW}
local lease = tonumber(ARGV[2])
redis.call('SET', KEYS[1], 'p:' .. n .. ':' .. (now + lease) .. ':' .. token, 'PX', math.max(redis.call('PTTL', KEYS[1]), lease))
return 1`;

/** KEYS[1]; ARGV: token, ttlMs → 1 completed | 0 fenced (another holder, or none). */
const COMPLETE = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local token = string.match(v, '^p:%d+:%d+:(.*)$')
if token ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('SET', KEYS[1], 'c', 'PX', ttl) else redis.call('DEL', KEYS[1]) end
return 1`;

/** KEYS[1]; ARGV: token → 1 released | 0 not held. Deleting the record resets the claim count. */
const RELEASE = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local token = string.match(v, '^p:%d+:%d+:(.*)$')
if token ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

export interface Script {
  readonly name: string;
  readonly source: string;
  /** SHA-1 of the source, for EVALSHA. */
  readonly sha: string;
}

const script = (name: string, source: string): Script => ({ name, source, sha: createHash('sha1').update(source).digest('hex') });

export const SCRIPTS = {
  claim: script('claim', CLAIM),
  extend: script('extend', EXTEND),
  complete: script('complete', COMPLETE),
  release: script('release', RELEASE),
} as const;

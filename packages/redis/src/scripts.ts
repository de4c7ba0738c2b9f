import { createHash } from 'node:crypto';

/**
 * The store's four operations as Lua scripts, each atomic on the server. A key's value is one
 * string: `c` when completed, `p:<claims>:<lease until, ms>:<token>` while claimed. Time is the
 * server's (`TIME`), so the clocks of the processes sharing the store do not matter.
 */

/** Server time in ms. Lua 5.1 numbers print ms timestamps exactly (%.14g). */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: the keys claimed in one tick; ARGV: token, leaseMs, ttlMs per key → per key two numbers:
 * 0, claims (claimed) | 1, retryInMs (in progress) | 2, 0 (completed). One command for a batch:
 * node-redis's cost is per command. A key twice in a batch: the second sees the first's claim.
 */
const CLAIM = `${NOW}
local out = {}
for i, key in ipairs(KEYS) do
  local token, lease, ttl = ARGV[i * 3 - 2], tonumber(ARGV[i * 3 - 1]), tonumber(ARGV[i * 3])
  local v = redis.call('GET', key)
  local state, value = nil, nil
  local claims = 1
  if v == 'c' then
    state, value = 2, 0
  elseif v then
    local n, l = string.match(v, '^p:(%d+):(%d+):')
    l = tonumber(l)
    if l > now then state, value = 1, l - now else claims = tonumber(n) + 1 end
  end
  if not state then
    redis.call('SET', key, 'p:' .. claims .. ':' .. (now + lease) .. ':' .. token, 'PX', math.max(ttl, lease))
    state, value = 0, claims
  end
  out[i * 2 - 1] = state
  out[i * 2] = value
end
return out`;

/** KEYS[1]; ARGV: token, leaseMs → 1 renewed | 0 not held. The record lives at least as long as the lease. */
const EXTEND = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local n, token = string.match(v, '^p:(%d+):%d+:(.*)$')
if token ~= ARGV[1] then return 0 end
${NOW}
local lease = tonumber(ARGV[2])
redis.call('SET', KEYS[1], 'p:' .. n .. ':' .. (now + lease) .. ':' .. token, 'PX', math.max(redis.call('PTTL', KEYS[1]), lease))
return 1`;

/** KEYS: the keys completed in one tick; ARGV: token, ttlMs per key → per key 1 completed | 0 fenced (another holder, or none). */
const COMPLETE = `local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v and string.match(v, '^p:%d+:%d+:(.*)$') == ARGV[i * 2 - 1] then
    local ttl = tonumber(ARGV[i * 2])
    if ttl > 0 then redis.call('SET', key, 'c', 'PX', ttl) else redis.call('DEL', key) end
    out[i] = 1
  else
    out[i] = 0
  end
end
return out`;

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

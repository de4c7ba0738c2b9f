// The IdempotencyStore contract against the real Redis (FERRY_REDIS_URL or 127.0.0.1:6379): every
// "instance" has its own connection, as separate processes would.
import { runStoreContract } from '@ferry/testkit';
import { RedisIdempotencyStore } from './store.ts';
import { REDIS_URL, uniquePrefix } from './test-support.ts';

const keyPrefix = uniquePrefix();
runStoreContract({ name: 'redis', createStore: () => new RedisIdempotencyStore({ url: REDIS_URL, keyPrefix }) });

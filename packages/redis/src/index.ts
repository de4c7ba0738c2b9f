export { RedisIdempotencyStore, type RedisStoreOptions, type RedisCommandClient } from './store.ts';

// Test helper (not exported from the package): where the tests find Redis, and key prefixes no other run uses.
import { randomBytes } from 'node:crypto';

/** FERRY_REDIS_URL as the integration harness sets it, else the machine's Redis. */
export const REDIS_URL = process.env.FERRY_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(): string {
  return `ferry-test:${randomBytes(4).toString('hex')}:`;
}

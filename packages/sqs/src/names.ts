import { createHash } from 'node:crypto';

/** SQS queue names: 1-80 of [A-Za-z0-9_-], FIFO queues end in `.fifo` (counted in the 80). */
const VALID = /^[A-Za-z0-9_-]+$/;
const FIFO_SUFFIX = '.fifo';
/** Base names stay within 75 characters so that FIFO and standard names have the same base. */
const MAX_BASE = 80 - FIFO_SUFFIX.length;
const HASH_CHARS = 8;

const hash = (text: string, chars: number): string => createHash('sha256').update(text).digest('hex').slice(0, chars);

/**
 * The queue of a topic, deterministically, so producers and consumers in different processes meet
 * on one queue. Names SQS accepts stay as they are; anything else (`orders.placed`, unicode, too
 * long) has its invalid characters replaced by `_` and a short hash of the topic appended, so two
 * topics that differ only in those characters still get different queues.
 */
export function queueNameFor(topic: string, options: { prefix: string; fifo: boolean; explicit?: string | undefined }): string {
  if (options.explicit) return options.explicit;
  const wanted = options.prefix + topic;
  let base: string;
  if (VALID.test(wanted) && wanted.length <= MAX_BASE) {
    base = wanted;
  } else {
    const suffix = `-${hash(topic, HASH_CHARS)}`;
    base = wanted.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_BASE - suffix.length) + suffix;
  }
  return options.fifo ? base + FIFO_SUFFIX : base;
}

/**
 * MessageGroupId and MessageDeduplicationId allow 1-128 characters of printable ASCII
 * (alphanumerics and punctuation). Values outside that travel as a hash (the key itself is in
 * the envelope), which keeps the same key in the same group.
 */
export function fifoId(value: string): string {
  if (value.length >= 1 && value.length <= 128 && /^[\x21-\x7e]+$/.test(value)) return value;
  return `h-${hash(value, 64)}`;
}

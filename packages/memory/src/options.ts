import { ConfigError, parseOptions } from '@ferry/core/spi';
import { z } from 'zod';

export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;

const count = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const memoryOptionsSchema = z
  .object({
    /** Name of the in-process broker; transports with one name share topics and groups. */
    broker: z.string().min(1).max(200).optional(),
    /** Largest message (payload + key + headers) `send` accepts. */
    maxMessageBytes: count.optional(),
    /** Records kept per topic; the oldest are dropped past it. Fixed by the broker's first transport. */
    retainMessages: count.optional(),
  })
  .strict();

export type MemoryTransportOptions = z.input<typeof memoryOptionsSchema>;

// Query parameters arrive as strings.
const urlParamsSchema = z
  .object({
    maxMessageBytes: z.coerce.number().pipe(count).optional(),
    retainMessages: z.coerce.number().pipe(count).optional(),
  })
  .strict();

/**
 * `memory://` → broker "default"; `memory://orders-test?maxMessageBytes=1024` → broker
 * "orders-test" with a 1 KiB limit. Options given to createTransport win over the URL's.
 */
export function optionsFromUrl(url: URL, options: Readonly<Record<string, unknown>>): MemoryTransportOptions {
  if (url.protocol !== 'memory:') {
    throw new ConfigError('url', `the memory transport needs a memory:// URL, not ${url.protocol}//`, 'Use memory:// or memory://<broker-name>.');
  }
  const fromUrl = parseOptions(urlParamsSchema, Object.fromEntries(url.searchParams), 'url');
  const name = decodeURIComponent(url.host || url.pathname.replace(/^\/+/, ''));
  return parseOptions(memoryOptionsSchema, { ...(name ? { broker: name } : {}), ...fromUrl, ...options }, 'transport');
}

/**
 * Runs a piece of Ferry's own work with the transport inside a context a plugin chooses: each
 * delivery's processing and settlement (ack, nack, the dead-letter copy), and redrive's copies.
 * @ferry/opentelemetry uses it to mark that work as already traced, so that client-library
 * instrumentations (kafkajs, amqplib, the AWS SDK) neither record a second producer span nor
 * replace the trace context a message carries in its headers. `work` must be called exactly once,
 * synchronously, and its result returned.
 */
export type TransportScope = <T>(work: () => T) => T;

/** Both scopes, `outer` around `inner` (either may be absent). */
export function nestScopes(outer: TransportScope | undefined, inner: TransportScope | undefined): TransportScope | undefined {
  if (!outer) return inner;
  if (!inner) return outer;
  return (work) => outer(() => inner(work));
}

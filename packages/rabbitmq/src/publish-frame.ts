import type { ConfirmChannel, Options } from 'amqplib';

/** The amqplib 0.10 internals a confirm publish goes through (BaseChannel). */
interface ChannelInternals {
  pushConfirmCallback(cb: (err: unknown) => void): void;
  sendMessage(fields: object, properties: object, content: Buffer): boolean;
}

/**
 * Publishes like `ConfirmChannel.publish`, minus one cost: amqplib's argument builder wraps the
 * headers in `Object.create(headers)`, and encoding a table through a prototype chain (for-in)
 * takes about as long as the rest of the publish (measured: 3.2 -> 7.7 µs per message with one
 * header). Here the method fields and properties are one plain object, encoded the same way.
 * Falls back to the public API if the internals are not there.
 */
export function publishFrame(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  o: Options.Publish,
  confirmed: (err: unknown) => void,
): boolean {
  const internals = channel as unknown as Partial<ChannelInternals>;
  if (typeof internals.pushConfirmCallback !== 'function' || typeof internals.sendMessage !== 'function' || o.CC !== undefined || o.BCC !== undefined) {
    return channel.publish(exchange, routingKey, content, o, confirmed);
  }
  const fields = {
    // method
    exchange,
    routingKey,
    mandatory: !!o.mandatory,
    immediate: false,
    ticket: undefined,
    // properties
    contentType: o.contentType,
    contentEncoding: o.contentEncoding,
    headers: o.headers ?? {},
    deliveryMode: o.persistent === undefined ? (typeof o.deliveryMode === 'number' ? o.deliveryMode : o.deliveryMode ? 2 : undefined) : o.persistent ? 2 : 1,
    priority: o.priority,
    correlationId: o.correlationId,
    replyTo: o.replyTo,
    expiration: o.expiration === undefined ? undefined : String(o.expiration),
    messageId: o.messageId,
    timestamp: o.timestamp,
    type: o.type,
    userId: o.userId,
    appId: o.appId,
    clusterId: undefined,
  };
  internals.pushConfirmCallback(confirmed);
  return internals.sendMessage.call(channel, fields, fields, content);
}

import { CapabilityError, MessageTooLargeError } from './errors.ts';
import type { OutgoingMessage } from './spi/envelope.ts';
import { envelopeSize } from './spi/size.ts';
import type { Transport, StartPosition } from './spi/transport.ts';

/**
 * The one place that says no to a feature a transport lacks, when the producer or consumer is
 * configured (or at publish for per-message options), with what to do instead.
 */
export function checkDelay(transport: Transport, delayMs: number, what: string): void {
  if (!(delayMs >= 0)) throw new CapabilityError(transport.name, `a delay of ${delayMs} ms`, 'a delay cannot be negative', 'Use 0 for no delay.');
  const { delay } = transport.capabilities;
  if (delay === false) {
    throw new CapabilityError(transport.name, 'delayed delivery', `${what} asks for a ${delayMs} ms delay`, 'Schedule the publish in your application, or use a transport that supports delay.');
  }
  if (delayMs > delay.maxMs) {
    throw new CapabilityError(transport.name, `delays over ${delay.maxMs} ms`, `${what} asks for ${delayMs} ms`, `Use a delay of at most ${delay.maxMs} ms, or keep the message in your own scheduler until it is closer to due.`);
  }
}

export function checkPriority(transport: Transport, priority: number): void {
  const { priority: cap } = transport.capabilities;
  if (cap === false) {
    throw new CapabilityError(transport.name, 'message priority', `a publish asks for priority ${priority}`, 'Publish urgent messages to a separate topic with its own consumers instead.');
  }
  if (!Number.isInteger(priority) || priority < 0 || priority > cap.max) {
    throw new CapabilityError(transport.name, `priority ${priority}`, `priorities are integers from 0 to ${cap.max}`, `Use a priority from 0 to ${cap.max}.`);
  }
}

export function checkStart(transport: Transport, start: StartPosition): void {
  if (start.from === 'stored') return;
  if (!transport.capabilities.replay.includes(start.from)) {
    const offered = transport.capabilities.replay;
    throw new CapabilityError(
      transport.name,
      `replay from ${start.from === 'offset' ? 'an offset' : start.from === 'timestamp' ? 'a timestamp' : 'the earliest message'}`,
      offered.length === 0 ? 'its queues delete a message once it is acknowledged, so there is nothing to replay' : `it replays only from: ${offered.join(', ')}`,
      offered.length === 0 ? "Use start: { from: 'stored' }, or a log-based transport (kafka, or rabbitmq streams) where replay matters." : `Use one of: ${offered.join(', ')}.`,
    );
  }
}

/**
 * What every transport refuses in `send`, before anything leaves: a message over its size limit,
 * a priority or delay it cannot honour. Adapters add only their own limits on top.
 */
export function checkOutgoing(transport: Transport, message: OutgoingMessage): void {
  const size = envelopeSize(message);
  const limit = transport.capabilities.maxMessageBytes;
  if (size > limit) throw new MessageTooLargeError(transport.name, size, limit);
  if (message.priority !== undefined) checkPriority(transport, message.priority);
  if (message.delayMs !== undefined && message.delayMs !== 0) checkDelay(transport, message.delayMs, `${message.type} message ${message.id}`);
}

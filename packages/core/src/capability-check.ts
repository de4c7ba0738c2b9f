import { CapabilityError } from './errors.ts';
import type { Transport, StartPosition } from './spi/transport.ts';

/**
 * The one place that says no to a feature a transport lacks, when the producer or consumer is
 * configured (or at publish for per-message options), with what to do instead.
 */
export function checkDelay(transport: Transport, delayMs: number, what: string): void {
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
  if (priority > cap.max) {
    throw new CapabilityError(transport.name, `priority above ${cap.max}`, `a publish asks for priority ${priority}`, `Use a priority from 0 to ${cap.max}.`);
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

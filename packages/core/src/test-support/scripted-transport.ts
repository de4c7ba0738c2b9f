// Test helper (not exported from the package): a transport whose deliveries the test hands in, for
// unit tests of the client and the consume loop that need no broker behind them.
import type { OutgoingMessage } from '../spi/envelope.ts';
import type { DeliverySink } from '../spi/delivery.ts';
import type { SubscriptionSpec, Transport } from '../spi/transport.ts';
import type { Logger } from '../logging/logger.ts';
import type { LoggerAware } from '../logging/transport-logger.ts';

export interface ScriptedDelivery {
  readonly id?: string;
  readonly topic?: string;
  readonly key?: string;
  readonly headers?: Record<string, string>;
  readonly payload: unknown;
  readonly attempt?: number;
  /** Runs as the delivery's ack; the returned promise of `deliver` resolves once an ack succeeded. */
  readonly ack?: () => Promise<void>;
}

export function scriptedTransport(hooks: { onSend?: (messages: readonly OutgoingMessage[]) => void; onSettle?: (what: 'ack' | 'nack') => void; orderingByKey?: boolean } = {}) {
  const sent: OutgoingMessage[] = [];
  const given: Logger[] = [];
  const subscriptions: Array<{ spec: SubscriptionSpec; sink: DeliverySink }> = [];
  const transport: Transport & LoggerAware = {
    name: 'scripted',
    capabilities: { orderingByKey: hooks.orderingByKey ?? false, fanOut: true, replay: [], delay: false, priority: false, nativeDeadLetter: false, transactions: false, maxMessageBytes: 1_000_000 },
    connect: async () => undefined,
    send: async (messages) => {
      hooks.onSend?.(messages);
      sent.push(...messages);
    },
    subscribe: async (spec, sink) => {
      subscriptions.push({ spec, sink });
      return { stop: async () => undefined, close: async () => undefined };
    },
    close: async () => undefined,
    setLogger: (logger) => void given.push(logger),
  };
  /** Hands one delivery to the subscription of `topic` (default: the last one); resolves when it is settled. */
  const deliver = (d: ScriptedDelivery): Promise<'ack' | 'nack'> =>
    new Promise((settled) => {
      const topic = d.topic ?? subscriptions.at(-1)!.spec.topic;
      const subscription = subscriptions.findLast((s) => s.spec.topic === topic)!;
      subscription.sink.deliver({
        envelope: { id: d.id ?? 'm-1', type: 'ping', topic, key: d.key, headers: d.headers ?? {}, payload: new TextEncoder().encode(JSON.stringify(d.payload)), timestamp: 0 },
        attempt: d.attempt ?? 1,
        coordinates: { partition: 0, offset: 7 },
        ack: async () => {
          hooks.onSettle?.('ack');
          await (d.ack ?? (async () => undefined))();
          settled('ack');
        },
        nack: async () => {
          hooks.onSettle?.('nack');
          settled('nack');
        },
      });
    });
  return { transport, sent, given, subscriptions, deliver };
}

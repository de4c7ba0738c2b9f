import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** The attributes a rendered line shows, when the span has them. */
const SHOWN = ['messaging.consumer.group.name', 'messaging.batch.message_count', 'ferry.delivery.attempt', 'ferry.outcome', 'ferry.retry.delay_ms', 'error.type'];

/**
 * A trace as indented text, children under their parent in start order, each line the span's name,
 * kind, chosen attributes and links (named by the linked span when it is in `spans`):
 *
 *   #1 send orders PRODUCER
 *   └─ #2 process orders CONSUMER messaging.consumer.group.name=billing ferry.delivery.attempt=1 ferry.outcome=retried error.type=Error status=ERROR  → creation: #1 send orders
 *
 * Spans whose parent is not among them start a tree of their own.
 */
export function renderTrace(spans: readonly ReadableSpan[], options: { shown?: readonly string[] } = {}): string {
  const shown = options.shown ?? SHOWN;
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent !== undefined && byId.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  for (const list of children.values()) list.sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  const lines: string[] = [];
  const walk = (span: ReadableSpan, prefix: string, self: string) => {
    const attributes = shown.filter((k) => span.attributes[k] !== undefined).map((k) => `${k}=${String(span.attributes[k])}`);
    const status = span.status.code === SpanStatusCode.ERROR ? ['status=ERROR'] : [];
    const links = span.links.map((l) => {
      const target = byId.get(l.context.spanId);
      return `${String(l.attributes?.['ferry.link.type'] ?? 'link')}: ${target ? `#${order(l.context.spanId)} ${target.name}` : `span ${l.context.spanId} (not in this trace)`}`;
    });
    lines.push(`${self}#${order(span.spanContext().spanId)} ${span.name} ${SpanKind[span.kind]} ${[...attributes, ...status].join(' ')}${links.length > 0 ? `  → ${links.join(', ')}` : ''}`.trimEnd());
    const list = children.get(span.spanContext().spanId) ?? [];
    list.forEach((child, i) => walk(child, `${prefix}${i === list.length - 1 ? '   ' : '│  '}`, `${prefix}${i === list.length - 1 ? '└─ ' : '├─ '}`));
  };
  const numbers = new Map<string, number>();
  const order = (spanId: string) => {
    if (!numbers.has(spanId)) numbers.set(spanId, numbers.size + 1);
    return numbers.get(spanId)!;
  };
  // Number spans in start order so links can name them before they are printed.
  [...spans].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]).forEach((s) => order(s.spanContext().spanId));
  for (const root of children.get(undefined) ?? []) walk(root, '', '');
  return lines.join('\n');
}

import { context, type Attributes, type AttributeValue } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { DataPointType, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type Sampler } from '@opentelemetry/sdk-trace-base';

/** Collects on demand (`collect()`), never on a timer. */
class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface MetricPoint {
  readonly name: string;
  readonly attributes: Attributes;
  /** The sum of a counter, or of a histogram's recordings. */
  readonly value: number;
  /** Recordings of a histogram; undefined for a counter. */
  readonly count: number | undefined;
}

/**
 * OpenTelemetry's SDK set up for a test: spans kept in memory as they end, metrics read when asked,
 * async context propagation (registered globally once; the API needs it for `context.with`). Pass
 * `tracerProvider` and `meterProvider` to `instrument(client, ...)`.
 */
export class TestTelemetry {
  readonly exporter = new InMemorySpanExporter();
  readonly tracerProvider: BasicTracerProvider;
  readonly meterProvider: MeterProvider;
  private readonly reader = new OnDemandReader();

  constructor(options: { sampler?: Sampler } = {}) {
    registerContextManager();
    this.tracerProvider = new BasicTracerProvider({ sampler: options.sampler, spanProcessors: [new SimpleSpanProcessor(this.exporter)] });
    this.meterProvider = new MeterProvider({ readers: [this.reader] });
  }

  /** Ended spans, in the order they ended. */
  spans(): ReadableSpan[] {
    return this.exporter.getFinishedSpans();
  }

  /** Every data point of the metric `name` whose attributes include `where`. */
  async points(name: string, where: Attributes = {}): Promise<MetricPoint[]> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
    return pointsOf(resourceMetrics, name).filter((p) => Object.entries(where).every(([key, value]) => sameValue(p.attributes[key], value)));
  }

  /** The sum of the matching points (counts for counters, recorded values for histograms). */
  async sum(name: string, where: Attributes = {}): Promise<number> {
    return (await this.points(name, where)).reduce((total, p) => total + p.value, 0);
  }

  /** How many values the matching histogram points recorded. */
  async count(name: string, where: Attributes = {}): Promise<number> {
    return (await this.points(name, where)).reduce((total, p) => total + (p.count ?? 0), 0);
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.tracerProvider.shutdown(), this.meterProvider.shutdown()]);
  }
}

let registered = false;
/** AsyncLocalStorage context propagation, once per process (what NodeSDK does at start). */
export function registerContextManager(): void {
  if (registered) return;
  registered = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

function pointsOf(resource: ResourceMetrics, name: string): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const scope of resource.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const point of metric.dataPoints) {
        const value = point.value as number | { sum?: number; count: number };
        if (metric.dataPointType === DataPointType.HISTOGRAM && typeof value === 'object') out.push({ name, attributes: point.attributes, value: value.sum ?? 0, count: value.count });
        else out.push({ name, attributes: point.attributes, value: value as number, count: undefined });
      }
    }
  }
  return out;
}

function sameValue(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

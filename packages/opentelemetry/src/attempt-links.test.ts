import { TraceFlags, type SpanContext } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { AttemptLinks } from './attempt-links.ts';

const span = (n: number): SpanContext => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: n.toString(16).padStart(16, '0'), traceFlags: TraceFlags.SAMPLED });

describe('AttemptLinks', () => {
  it('gives the last failed attempt of a message in its group once', () => {
    const links = new AttemptLinks(10);
    links.failedAttempt('g', 'm', span(1));
    links.failedAttempt('g', 'm', span(2));
    expect(links.take('other', 'm')).toBeUndefined();
    expect(links.take('g', 'm')).toEqual(span(2));
    expect(links.take('g', 'm')).toBeUndefined();
    expect(links.size).toBe(0);
  });

  it('forgets the oldest past its limit, and nothing with a limit of 0', () => {
    const links = new AttemptLinks(2);
    for (let n = 1; n <= 3; n++) links.failedAttempt('g', `m${n}`, span(n));
    expect(links.size).toBe(2);
    expect(links.take('g', 'm1')).toBeUndefined();
    expect(links.take('g', 'm3')).toEqual(span(3));
    const none = new AttemptLinks(0);
    none.failedAttempt('g', 'm', span(1));
    expect(none.take('g', 'm')).toBeUndefined();
  });
});

import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import { describe, expect, it } from 'vitest';
import * as ours from './semconv.ts';

describe('the copied semantic-convention names', () => {
  it('match the installed @opentelemetry/semantic-conventions/incubating', () => {
    const copied = Object.entries(ours).filter(([name]) => /^(ATTR_MESSAGING|MESSAGING_|METRIC_MESSAGING|ATTR_ERROR|ERROR_TYPE)/.test(name));
    expect(copied.length).toBeGreaterThan(20);
    for (const [name, value] of copied) expect((incubating as Record<string, unknown>)[name], name).toBe(value);
  });
});

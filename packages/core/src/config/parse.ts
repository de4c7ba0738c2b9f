import type { z } from 'zod';
import { ConfigError } from '../errors.ts';

/**
 * Parses options with a zod schema and turns the first failure into a ConfigError naming the
 * option's path (`consumer.retry.attempts`) and what is allowed.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  throw new ConfigError(path, issue.message, fixFor(issue));
}

function fixFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `Remove ${issue.keys.map((k) => `\`${k}\``).join(', ')}; see the options documented for this call.`;
    case 'invalid_value':
      return `Use one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`;
    case 'too_small':
      return `Use a value >= ${String(issue.minimum)}.`;
    case 'too_big':
      return `Use a value <= ${String(issue.maximum)}.`;
    case 'invalid_type':
      return `Expected ${issue.expected}.`;
    default:
      return 'See the documented options.';
  }
}

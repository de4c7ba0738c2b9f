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
  // An unknown key is named by its own path (`consumer.concurency`), not its parent's.
  const at = issue.code === 'unrecognized_keys' && issue.keys.length > 0 ? [...issue.path, issue.keys[0]!] : issue.path;
  const path = [prefix, ...at.map(String)].filter(Boolean).join('.');
  throw new ConfigError(path, issue.message, fixFor(issue, schema));
}

function fixFor(issue: z.core.$ZodIssue, schema: z.ZodType): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return unknownKeysFix(issue.keys, knownKeysAt(schema, issue.path));
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

/** "Remove `partitons` (did you mean `partitions`?)", with the keys allowed there. */
function unknownKeysFix(keys: readonly string[], known: readonly string[]): string {
  const named = keys.map((key) => {
    const close = closest(key, known);
    return close ? `\`${key}\` (did you mean \`${close}\`?)` : `\`${key}\``;
  });
  const allowed = known.length > 0 ? ` Allowed here: ${known.join(', ')}.` : ' See the options documented for this call.';
  return `Remove ${named.join(', ')}.${allowed}`;
}

/** The keys an object schema accepts at `path` (through optional, default and similar wrappers). */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current = unwrap(schema);
  for (const key of path) {
    const shape = shapeOf(current);
    if (!shape || typeof key !== 'string' || !(key in shape)) return [];
    current = unwrap(shape[key]);
  }
  return Object.keys(shapeOf(current) ?? {});
}

type SchemaLike = { shape?: Record<string, unknown>; _zod?: { def?: { innerType?: unknown } } } | undefined;

function unwrap(schema: unknown): SchemaLike {
  let current = schema as SchemaLike;
  for (let depth = 0; depth < 8 && current && !current.shape && current._zod?.def?.innerType; depth++) current = current._zod.def.innerType as SchemaLike;
  return current;
}

function shapeOf(schema: SchemaLike): Record<string, unknown> | undefined {
  return schema?.shape && typeof schema.shape === 'object' ? schema.shape : undefined;
}

/** The known key within two edits of `key` (or equal ignoring case), if there is one. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

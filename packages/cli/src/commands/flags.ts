import { FerryError } from '@ferry/core';

/** A whole-number flag (`--batch 500`), at least `min`; undefined when not given. */
export function wholeNumber(text: string | undefined, flag: string, min = 1): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new FerryError('FERRY_CONFIG', `${flag} must be a whole number >= ${min}, got ${JSON.stringify(text)}.`);
  return n;
}

/** The flags every outbox command takes: where the table is. */
export const TABLE_FLAGS = { schema: { type: 'string' }, table: { type: 'string' } } as const;

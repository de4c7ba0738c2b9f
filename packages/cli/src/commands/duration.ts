import { FerryError } from '@ferry/core';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `10m`, `2h`, `7d`, `500ms` → milliseconds; undefined when not given. */
export function duration(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new FerryError('FERRY_CONFIG', `${flag} must be a duration such as 90s, 10m, 2h or 7d, got ${JSON.stringify(text)}.`);
  return Math.round(Number(match[1]) * UNITS[match[2]!]!);
}

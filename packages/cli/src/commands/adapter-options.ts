import { readJson } from './read-json.ts';
import { FerryError } from '@ferry/core';

/** The `--options` flag of the one-URL commands. */
export const OPTIONS_FLAG = { options: { type: 'string' } } as const;

export const OPTIONS_USAGE = `--options JSON   adapter options (docs/adapters/<name>.md), inline or @file.json; default: $FERRY_OPTIONS`;

/**
 * The adapter options for createClient's `transport`: `--options` (inline JSON or @file.json), else
 * the FERRY_OPTIONS environment variable (same forms), else {}.
 */
export async function adapterOptions(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown>> {
  const fromEnv = env['FERRY_OPTIONS']?.trim();
  const [text, name] = flag !== undefined ? [flag, '--options'] : fromEnv ? [fromEnv, 'FERRY_OPTIONS'] : [undefined, ''];
  if (text === undefined) return {};
  const value = await readJson(text, name);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FerryError('FERRY_CONFIG', `${name} must be a JSON object of adapter options, e.g. {"connectTimeoutMs": 5000} (docs/adapters/<name>.md).`);
  }
  return value as Record<string, unknown>;
}

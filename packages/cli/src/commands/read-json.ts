import { readFile } from 'node:fs/promises';
import { FerryError } from '@ferry/core';

/** A flag's JSON value: inline (`{"a":1}`) or from a file (`@options.json`, or a path ending in .json). */
export async function readJson(text: string, flag: string): Promise<unknown> {
  const fromFile = text.startsWith('@') || (text.endsWith('.json') && !text.trimStart().startsWith('{'));
  const source = fromFile ? await readFile(text.replace(/^@/, ''), 'utf8').catch((error: unknown) => fail(flag, `cannot read ${text.replace(/^@/, '')}: ${(error as Error).message}`)) : text;
  try {
    return JSON.parse(source) as unknown;
  } catch (error) {
    return fail(flag, `is not JSON (${(error as Error).message})`);
  }
}

/** A JSON object's member that must be an object (adapter options), or {} when absent. */
export function objectAt(value: unknown, key: string, flag: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(flag, 'must be a JSON object');
  const member = (value as Record<string, unknown>)[key];
  if (member === undefined) return {};
  if (typeof member !== 'object' || member === null || Array.isArray(member)) return fail(`${flag} ${key}`, 'must be a JSON object');
  return member as Record<string, unknown>;
}

function fail(flag: string, problem: string): never {
  throw new FerryError('FERRY_CONFIG', `${flag} ${problem}.`);
}

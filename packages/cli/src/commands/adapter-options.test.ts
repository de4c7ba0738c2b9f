import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adapterOptions } from './adapter-options.ts';

describe('adapterOptions', () => {
  it('reads --options inline or @file, else FERRY_OPTIONS, else {}', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'ferry-cli-')), 'options.json');
    await writeFile(file, '{"queuePrefix": "shop-"}');
    expect(await adapterOptions('{"a": 1}', { FERRY_OPTIONS: '{"b": 2}' })).toEqual({ a: 1 });
    expect(await adapterOptions(`@${file}`, {})).toEqual({ queuePrefix: 'shop-' });
    expect(await adapterOptions(undefined, { FERRY_OPTIONS: '{"b": 2}' })).toEqual({ b: 2 });
    expect(await adapterOptions(undefined, { FERRY_OPTIONS: `@${file}` })).toEqual({ queuePrefix: 'shop-' });
    expect(await adapterOptions(undefined, {})).toEqual({});
  });

  it('names where bad options came from', async () => {
    await expect(adapterOptions(undefined, { FERRY_OPTIONS: '[1]' })).rejects.toThrow(/FERRY_OPTIONS must be a JSON object/);
    await expect(adapterOptions('{oops', {})).rejects.toThrow(/--options is not JSON/);
  });
});

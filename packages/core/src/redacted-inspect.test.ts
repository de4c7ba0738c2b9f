import { inspect } from 'node:util';
import { expect, it } from 'vitest';
import { redactWhenShown } from './redacted-inspect.ts';

it('masks passwords, secret keys, private keys and URL passwords under inspect and JSON.stringify, and keeps the rest', () => {
  const config = redactWhenShown({
    url: new URL('amqp://app:s3cr3t@broker:5672/vh'),
    sasl: { mechanism: 'plain', username: 'app', password: 'pw-1' },
    credentials: { accessKeyId: 'AKIA', secretAccessKey: 'sk-2' },
    tls: { key: '-----BEGIN PRIVATE KEY-----abc', passphrase: 'pp-3' },
    partitions: 6,
  });
  for (const shown of [inspect(config, { depth: 10 }), JSON.stringify(config), String(JSON.stringify({ nested: config }))]) {
    for (const secret of ['s3cr3t', 'pw-1', 'sk-2', 'PRIVATE KEY', 'pp-3']) expect(shown).not.toContain(secret);
    expect(shown).toContain('partitions');
    expect(shown).toContain('amqp://app:***@broker:5672/vh');
  }
  // The data is untouched and spreads without the helpers.
  expect(config.sasl.password).toBe('pw-1');
  expect(Object.keys({ ...config })).toEqual(['url', 'sasl', 'credentials', 'tls', 'partitions']);
});

import { inspect } from 'node:util';
import { expect, it } from 'vitest';
import { resolveConfig } from './options.ts';
import { SqsTransport } from './transport.ts';

it('prints the transport and its config without the secret key or session token (inspect, console.log, JSON)', async () => {
  const transport = new SqsTransport(new URL('sqs://us-east-1?endpoint=http://127.0.0.1:1'), { credentials: { accessKeyId: 'AKIAX', secretAccessKey: 'sqs-secret-2a', sessionToken: 'tok-2a' } });
  for (const shown of [inspect(transport, { depth: 10 }), JSON.stringify(transport), inspect(transport.config, { depth: 10 }), JSON.stringify(transport.config)]) {
    for (const secret of ['sqs-secret-2a', 'tok-2a']) expect(shown).not.toContain(secret);
    expect(shown).toContain('us-east-1');
  }
  await transport.close();
});

it('an unknown option names the key and lists every allowed key', () => {
  expect(() => resolveConfig(new URL('sqs://us-east-1'), { regoin: 'eu-west-1' })).toThrowError(/Invalid option `sqs\.regoin`.*did you mean `region`\?\)\. Allowed here: region, endpoint, .*maxAttempts/);
});

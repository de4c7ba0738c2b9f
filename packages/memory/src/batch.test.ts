// handleBatch's configuration checks (its behaviour is the conformance suite's "batch handlers" cases).
import { createClient, defineMessage, type Client } from '@ferry/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryTransport } from './transport.ts';
import { freshBroker } from './test-support.ts';

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

const Row = defineMessage('row', z.object({ n: z.number() }), { topic: 'rows' });

describe('handleBatch configuration', () => {
  it('refuses a batch larger than the consumer concurrency, naming both', async () => {
    const client = await createClient(new MemoryTransport({ broker: freshBroker() }));
    clients.push(client);
    expect(() => client.consumer({ group: 'g', concurrency: 8 }).handleBatch(Row, () => undefined, { maxSize: 50 })).toThrow(
      /`consumer\.concurrency`: 8 is below handleBatch\(row\)\.maxSize \(50\).*Set concurrency to at least 50/,
    );
    expect(() => client.consumer({ group: 'g2', concurrency: 50 }).handleBatch(Row, () => undefined, { maxSize: 50 })).not.toThrow();
  });

  it('a type has one handler: handle and handleBatch for one type is refused', async () => {
    const client = await createClient(new MemoryTransport({ broker: freshBroker() }));
    clients.push(client);
    expect(() => client.consumer({ group: 'g', concurrency: 10 }).handle(Row, () => undefined).handleBatch(Row, () => undefined, { maxSize: 10 })).toThrow(/already registered/);
  });
});

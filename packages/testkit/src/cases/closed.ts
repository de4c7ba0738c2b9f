import { expect } from 'vitest';
import { expectClosedError } from '../assertions.ts';
import type { CaseGroupFactory } from '../case.ts';
import { Collector } from '../collector.ts';
import type { CaseEnv } from '../env.ts';
import { itemMessage } from '../messages.ts';
import { sleep } from '../wait.ts';

/** Use after close is a clear error, never a silent drop or a hang. */
export const closedCases: CaseGroupFactory = () => ({
  title: 'after close',
  cases: [
    { id: 'publish-closed', name: 'publish after the producer or the client is closed fails with ClosedError (FERRY_CLOSED) and sends nothing', run: publishAfterClose },
    { id: 'consume-closed', name: 'start after the consumer or the client is closed fails with ClosedError (FERRY_CLOSED); a closed transport refuses send', run: consumeAfterClose },
  ],
});

async function publishAfterClose(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const collector = new Collector();
  await env.consume(await env.client(), { group: env.group(), retry: env.retry(3) }, message, collector.handler('c'));

  const client = await env.client();
  const producer = client.producer();
  await producer.close();
  await expectClosedError(() => producer.publish(message, { n: 1 }));
  await expectClosedError(() => producer.publishBatch([{ message, payload: { n: 2 } }]));

  const other = client.producer();
  await client.close();
  await expectClosedError(() => other.publish(message, { n: 3 }));
  await expectClosedError(() => client.producer());
  await sleep(env.ms(300));
  expect(collector.all).toEqual([]);
}

async function consumeAfterClose(env: CaseEnv): Promise<void> {
  const message = itemMessage(env.topic());
  const client = await env.client();
  const consumer = client.consumer({ group: env.group(), retry: env.retry(3) }).handle(message, () => undefined);
  await consumer.close();
  await expectClosedError(() => consumer.start());

  const started = await env.consume(client, { group: env.group('b'), retry: env.retry(3) }, message, () => undefined);
  await client.close();
  await expectClosedError(() => started.start());
  await expectClosedError(() => client.consumer({ group: env.group('c') }));

  const transport = await env.transport();
  await transport.close();
  await expectClosedError(() => transport.send([{ id: `closed-${env.run}`, type: message.type, topic: message.topic, headers: {}, payload: new Uint8Array(1), timestamp: Date.now() }]));
}

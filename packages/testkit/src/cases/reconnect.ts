import { expect } from 'vitest';
import type { CaseGroupFactory } from '../case.ts';
import { Collector } from '../collector.ts';
import type { CaseEnv } from '../env.ts';
import { itemMessage } from '../messages.ts';
import { startTcpProxy } from '../tcp-proxy.ts';
import { range, sleep, waitFor } from '../wait.ts';

const MESSAGES = 200;

/** Connection loss: every socket to the broker is reset mid-stream; nothing may be lost. */
export const reconnectCases: CaseGroupFactory = (info) => ({
  title: 'connection faults',
  cases: [
    {
      id: 'reconnect',
      name: `reconnect: all sockets of the producer and the consumer are cut mid-stream of ${MESSAGES} messages; every message still arrives`,
      timeoutMs: 60_000,
      skip: info.options.connectionFault ? undefined : 'no `connectionFault` given to runConformanceSuite (needs a broker reachable over TCP)',
      run: reconnect,
    },
  ],
});

async function reconnect(env: CaseEnv): Promise<void> {
  const fault = env.suite.options.connectionFault!;
  const proxy = await startTcpProxy({ targetHost: fault.brokerAddress.host, targetPort: fault.brokerAddress.port });
  env.onCleanup(() => proxy.close());
  const via = { host: proxy.host, port: proxy.port };
  const message = itemMessage(env.topic());
  const collector = new Collector();
  await env.consume(await env.wrap(await fault.createTransportVia(via)), { group: env.group(), retry: env.retry(5), concurrency: 4 }, message, collector.handler('c'));
  const producer = (await env.wrap(await fault.createTransportVia(via))).producer();

  let publishFailures = 0;
  const ids: string[] = [];
  for (const n of range(0, MESSAGES)) {
    if (n === MESSAGES / 2) {
      await waitFor(() => collector.unique >= MESSAGES / 4, env.ms(20_000), () => `the stream to flow before the cut (${collector.unique})`);
      proxy.cutAll();
    }
    // An application retries a publish that failed while the connection was down, with the same id.
    const id = `reconnect-${env.run}-${n}`;
    for (let tries = 0; ; tries++) {
      try {
        await producer.publish(message, { n }, { id });
        break;
      } catch (error) {
        publishFailures++;
        if (tries >= 100) throw new Error(`publish of ${n} still failing after the cut`, { cause: error });
        await sleep(env.ms(100));
      }
    }
    ids.push(id);
    await sleep(2);
  }
  await waitFor(() => ids.every((id) => collector.has(id)), env.ms(45_000), () => `${collector.summary(ids)} (publish retries: ${publishFailures})`);
  expect(collector.missing(ids)).toEqual([]);
  expect(new Set(collector.all.map((r) => r.n))).toEqual(new Set(range(0, MESSAGES)));
}

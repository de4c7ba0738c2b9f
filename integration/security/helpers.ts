/** Shared by the security tests: a round trip through a secured broker, and a connect that must fail. */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { z } from 'zod';
import { createClient, defineMessage, FerryError } from '@ferry/core';
import { uniqueName } from '../harness/index.ts';
import { certificatesUnavailable } from '../harness/tls-certs.ts';

/** Why the security tests cannot run here (printed), or undefined. */
export function skipReason(extra?: () => string | undefined): string | undefined {
  const reason = certificatesUnavailable() ?? extra?.();
  if (reason) console.warn(`[security tests] skipped: ${reason}`);
  return reason;
}

/** A password that is not the broker's, unique so a leak is found by search. */
export const wrongPassword = () => `wrong-${randomBytes(8).toString('hex')}`;

/** Publishes `count` messages through a client on `url` and consumes them with a group; returns the ids seen. */
export async function roundTrip(url: string, transport: Record<string, unknown>, count = 20): Promise<{ sent: string[]; seen: Set<string> }> {
  const topic = uniqueName('secure');
  const Ping = defineMessage('security.ping', z.object({ n: z.number() }), { topic });
  const client = await createClient(url, { transport, topics: { [topic]: { groups: ['secure'] } } });
  const seen = new Set<string>();
  try {
    const sent: string[] = [];
    for (let n = 0; n < count; n++) sent.push(await client.producer().publish(Ping, { n }));
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => (done = resolve));
    const consumer = client.consumer({ group: 'secure', concurrency: 4 }).handle(Ping, async (_payload, ctx) => {
      seen.add(ctx.envelope.id);
      if (sent.every((id) => seen.has(id))) done();
    });
    await consumer.start();
    await all;
    return { sent, seen };
  } finally {
    await client.close({ timeoutMs: 5_000 });
  }
}

/** The error of a first publish through `url`, which must fail. */
export async function publishError(url: string, transport: Record<string, unknown>): Promise<FerryError> {
  const topic = uniqueName('secure-refused');
  const Ping = defineMessage('security.ping', z.object({ n: z.number() }), { topic });
  const client = await createClient(url, { transport, topics: { [topic]: { groups: ['secure'] } } });
  try {
    const error = await client.producer().publish(Ping, { n: 1 }).then(
      () => new Error('the publish succeeded'),
      (e: unknown) => e,
    );
    if (!(error instanceof FerryError)) throw new Error(`expected a FerryError, got ${inspect(error)}`);
    return error;
  } finally {
    await client.close({ timeoutMs: 5_000 }).catch(() => undefined);
  }
}

/** Everything a user may print of an error: message, String(), and util.inspect with its causes. */
export const printed = (error: Error): string => `${error.message}\n${String(error)}\n${inspect(error, { depth: Infinity })}`;

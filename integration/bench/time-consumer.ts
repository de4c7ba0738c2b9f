import type { Consumer } from '@ferry/core';

/**
 * Starts the consumer `make` builds and returns msg/s from its start until its handlers called
 * `handled` `count` times; then closes it.
 */
export async function timeConsumer(count: number, make: (handled: () => void) => Consumer): Promise<number> {
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const consumer = make(() => {
    if (++handled === count) done();
  });
  const t0 = performance.now();
  await consumer.start();
  await finished;
  const result = Math.round((count / (performance.now() - t0)) * 1000);
  await consumer.close();
  return result;
}

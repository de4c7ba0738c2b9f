/** Polls `condition` every 20 ms; throws naming `what` after `ms`. Shared by the brokers' integration tests. */
export async function waitFor(condition: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what()}`);
    await new Promise<void>((r) => setTimeout(r, 20));
  }
}

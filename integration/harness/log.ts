/** Harness progress goes to stderr so `pnpm brokers start` keeps stdout for the endpoints. */
export function log(message: string): void {
  if (process.env.FERRY_HARNESS_QUIET === '1') return;
  process.stderr.write(`[brokers] ${message}\n`);
}

/** Runs `fn`, returns its result with the elapsed milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: Math.round(performance.now() - start) };
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

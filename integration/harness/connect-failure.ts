import net from 'node:net';
import { inspect } from 'node:util';
import { expect } from 'vitest';

/** A local port nothing listens on: bound by the OS, then released (a real refused connect). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ExpectedFailure {
  readonly code: 'FERRY_CONNECTION' | 'FERRY_AUTH' | 'FERRY_TLS';
  /** The transport's connectTimeoutMs: the failure must arrive within it (plus a margin for a loaded machine). */
  readonly timeoutMs: number;
  /** Text the message must hold (the address, the fix). */
  readonly contains: readonly (string | RegExp)[];
  /** Must appear nowhere: message, cause chain, inspect output. */
  readonly secrets?: readonly string[];
}

/**
 * Runs `attempt` and checks the connect failure it ends in: a FerryError of the code, naming the
 * option `connectTimeoutMs`, holding no secret anywhere, within the timeout. Returns the error.
 */
export async function expectConnectFailure(attempt: () => Promise<unknown>, expected: ExpectedFailure): Promise<Error & { code: string }> {
  const started = Date.now();
  const error = await attempt().then(
    () => {
      throw new Error('expected the connect to fail');
    },
    (e: unknown) => e as Error & { code: string },
  );
  const elapsed = Date.now() - started;
  expect(error.name, inspect(error)).toBe('ConnectionError');
  expect(error.code, error.message).toBe(expected.code);
  expect(error.message).toContain('`connectTimeoutMs`');
  for (const text of expected.contains) expect(error.message).toMatch(typeof text === 'string' ? new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : text);
  const shown = `${error.message}\n${inspect(error, { depth: 10 })}\n${String(error.stack)}`;
  for (const secret of expected.secrets ?? []) expect(shown).not.toContain(secret);
  // A correctness bound (the deadline is honoured), not a performance figure: a generous margin.
  expect(elapsed).toBeLessThan(expected.timeoutMs + 3_000);
  return error;
}

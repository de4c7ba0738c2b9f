import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

// A demo that cannot reach its broker says so in one paragraph (code, address, fix) and exits 1,
// instead of an uncaught exception with a stack trace.
it('the demo against a closed port prints one paragraph with the code and the fix, no stack, and exits 1', async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));

  const child = spawn('pnpm', ['exec', 'tsx', 'examples/orders-demo.ts', `kafka://127.0.0.1:${port}`], {
    cwd: root,
    env: { ...process.env, FERRY_URL: '', FERRY_OPTIONS: JSON.stringify({ connectTimeoutMs: 1_000 }) },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

  expect(code).toBe(1);
  const text = stderr.trim();
  expect(text, stderr).toMatch(new RegExp(`^Ferry demo failed on kafka://127\\.0\\.0\\.1:${port}: Cannot connect to Kafka .*ECONNREFUSED.*\`connectTimeoutMs\` \\(now 1000 ms\\).* \\(FERRY_CONNECTION\\)$`));
  expect(text.split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('KafkaJS');
}, 90_000);

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';
import { sleep, waitFor } from './wait.ts';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A local echo server: what the proxy forwards to. */
async function echoServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

async function proxyTo(targetPort: number): Promise<TcpProxy> {
  const proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort });
  cleanups.push(() => proxy.close());
  return proxy;
}

/** A client that collects what it receives and records how it ended. */
async function connect(proxy: TcpProxy) {
  const socket = net.connect({ host: proxy.host, port: proxy.port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  let error: NodeJS.ErrnoException | undefined;
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('error', (e) => (error = e));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  cleanups.push(() => void socket.destroy());
  return {
    socket,
    closed,
    error: () => error,
    received: () => received,
    receive: async (length: number, timeoutMs = 2000) => {
      await waitFor(() => received.length >= length, timeoutMs, () => `${length} characters (got ${JSON.stringify(received)})`);
      return received;
    },
  };
}

describe('startTcpProxy', () => {
  it('listens on 127.0.0.1 and passes bytes both ways unchanged, binary included', async () => {
    const proxy = await proxyTo(await echoServer());
    expect(proxy.host).toBe('127.0.0.1');
    expect(proxy.port).toBeGreaterThan(0);
    const client = await connect(proxy);
    client.socket.write('ping-1 ');
    client.socket.write('ping-2 ü 🚀');
    expect(await client.receive('ping-1 ping-2 ü 🚀'.length)).toBe('ping-1 ping-2 ü 🚀');
    expect(proxy.connectionCount()).toBe(1);

    const bytes = Buffer.from(Array.from({ length: 256 * 64 }, (_, i) => i % 256));
    const raw = net.connect({ host: proxy.host, port: proxy.port });
    cleanups.push(() => void raw.destroy());
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.write(bytes);
    await waitFor(() => Buffer.concat(chunks).length >= bytes.length, 2000, () => 'the echoed bytes');
    expect(Buffer.compare(Buffer.concat(chunks), bytes)).toBe(0);
  });

  it('setDelay holds each direction for that long, keeping order; 0 passes through again', async () => {
    const proxy = await proxyTo(await echoServer());
    const client = await connect(proxy);
    proxy.setDelay(100);
    const start = Date.now();
    for (const part of ['a', 'b', 'c']) client.socket.write(part);
    expect(await client.receive(3)).toBe('abc');
    expect(Date.now() - start).toBeGreaterThanOrEqual(190); // 100 ms out + 100 ms back
    proxy.setDelay(0);
    const fast = Date.now();
    client.socket.write('d');
    expect(await client.receive(4)).toBe('abcd');
    expect(Date.now() - fast).toBeLessThan(100);
  });

  it('pause holds traffic without dropping it; resume delivers it in order', async () => {
    const proxy = await proxyTo(await echoServer());
    const client = await connect(proxy);
    client.socket.write('1');
    await client.receive(1);
    proxy.pause();
    client.socket.write('2');
    client.socket.write('3');
    await sleep(150);
    expect(client.received()).toBe('1');
    proxy.resume();
    expect(await client.receive(3)).toBe('123');
  });

  it('cutAll resets open connections (ECONNRESET) and still accepts new ones', async () => {
    const proxy = await proxyTo(await echoServer());
    const client = await connect(proxy);
    client.socket.write('x');
    await client.receive(1);
    proxy.cutAll();
    await client.closed;
    expect(client.error()?.code).toBe('ECONNRESET');
    expect(proxy.connectionCount()).toBe(0);

    const again = await connect(proxy);
    again.socket.write('y');
    expect(await again.receive(1)).toBe('y');
  });

  it('close cuts connections and stops listening; closing twice is fine', async () => {
    const proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: await echoServer() });
    const client = await connect(proxy);
    await proxy.close();
    await proxy.close();
    await client.closed;
    const refused = await new Promise<NodeJS.ErrnoException>((resolve) => net.connect({ host: proxy.host, port: proxy.port }).once('error', resolve));
    expect(refused.code).toBe('ECONNREFUSED');
  });

  it('a connection to a target that is down is closed, not left hanging', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const deadPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const proxy = await proxyTo(deadPort);
    const client = await connect(proxy);
    await client.closed;
    expect(proxy.connectionCount()).toBe(0);
  });
});

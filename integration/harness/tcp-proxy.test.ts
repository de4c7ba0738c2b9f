import net from 'node:net';
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { endpointsFromEnv } from './env.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function echoServer(): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as net.AddressInfo).port;
}

async function proxyTo(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const proxy = await startTcpProxy({ targetHost, targetPort });
  cleanups.push(() => proxy.close());
  return proxy;
}

/** A client socket that collects what it receives and records how it ended. */
async function connect(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
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
    /** Resolves with what has arrived once it reaches `length` characters. */
    receive: async (length: number) => {
      while (received.length < length) await new Promise((resolve) => setTimeout(resolve, 5));
      return received;
    },
  };
}

describe('startTcpProxy', () => {
  it('passes bytes both ways unchanged', async () => {
    const proxy = await proxyTo(await echoServer());
    const client = await connect(proxy.port);
    client.socket.write('ping-1 ');
    client.socket.write('ping-2');
    expect(await client.receive(13)).toBe('ping-1 ping-2');
    expect(proxy.connectionCount()).toBe(1);
  });

  it('delays each direction by setDelay ms, keeping order', async () => {
    const proxy = await proxyTo(await echoServer());
    const client = await connect(proxy.port);
    proxy.setDelay(150);
    const start = Date.now();
    for (const part of ['a', 'b', 'c']) client.socket.write(part);
    expect(await client.receive(3)).toBe('abc');
    expect(Date.now() - start).toBeGreaterThanOrEqual(290); // 150 ms out + 150 ms back
    proxy.setDelay(0);
    const fast = Date.now();
    client.socket.write('d');
    expect(await client.receive(4)).toBe('abcd');
    expect(Date.now() - fast).toBeLessThan(100);
  });

  it('cutAll resets open connections and still accepts new ones', async () => {
    const proxy = await proxyTo(await echoServer());
    const client = await connect(proxy.port);
    client.socket.write('x');
    await client.receive(1);
    proxy.cutAll();
    await client.closed;
    expect(client.error()?.code).toBe('ECONNRESET');
    expect(proxy.connectionCount()).toBe(0);

    const again = await connect(proxy.port);
    again.socket.write('y');
    expect(await again.receive(1)).toBe('y');
  });

  it('drops a real AMQP connection on cutAll; a new one through the proxy works', async () => {
    const target = new URL(endpointsFromEnv().amqp.url);
    const proxy = await proxyTo(Number(target.port || 5672), target.hostname);
    const viaProxy = new URL(target);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);

    const first = await amqp.connect(viaProxy.toString());
    first.on('error', () => undefined);
    const lost = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const channel = await first.createChannel();
    await channel.assertQueue('', { exclusive: true });
    proxy.cutAll();
    await lost;

    const second = await amqp.connect(viaProxy.toString());
    cleanups.push(() => second.close());
    const ch = await second.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    expect(queue).toMatch(/^amq\.gen-/);
  });
});

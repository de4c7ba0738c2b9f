/**
 * A small TCP fault proxy for reconnect tests (no toxiproxy here): clients connect to
 * 127.0.0.1:<port>, each connection is piped to the target; `setDelay` holds every chunk for
 * some milliseconds in each direction, `cutAll` resets every open connection (new ones are still
 * accepted), `close` does both and stops listening.
 */
import net from 'node:net';

export interface TcpProxyOptions {
  targetHost: string;
  targetPort: number;
  /** Port to listen on; 0 (default) picks a free one. */
  listenPort?: number;
}

export interface TcpProxy {
  readonly port: number;
  /** Abruptly resets all open client and upstream sockets. */
  cutAll(): void;
  /** Delay in ms applied to each chunk in each direction (0 = pass through). */
  setDelay(ms: number): void;
  /** Number of client connections currently open. */
  connectionCount(): number;
  close(): Promise<void>;
}

/** Forwards `from` to `to` with the proxy's current delay, keeping order and backpressure. */
function forward(from: net.Socket, to: net.Socket, delay: () => number): void {
  let lastDue = 0;
  let pending = 0;
  from.on('data', (chunk: Buffer) => {
    const ms = delay();
    if (to.destroyed || to.writableEnded) return;
    if (ms <= 0 && pending === 0) {
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
      return;
    }
    // Never earlier than the chunk before it, so a shorter new delay cannot reorder the stream.
    const due = Math.max(Date.now() + ms, lastDue);
    lastDue = due;
    pending += 1;
    setTimeout(() => {
      pending -= 1;
      if (!to.destroyed && !to.writableEnded) to.write(chunk);
    }, due - Date.now());
  });
  from.on('end', () => {
    const wait = Math.max(0, lastDue - Date.now());
    setTimeout(() => to.end(), wait);
  });
}

function reset(socket: net.Socket): void {
  if (socket.destroyed) return;
  // RST rather than FIN: the peer sees a lost connection, not an orderly close.
  if (typeof socket.resetAndDestroy === 'function' && socket.readyState !== 'opening') socket.resetAndDestroy();
  else socket.destroy();
}

export async function startTcpProxy(opts: TcpProxyOptions): Promise<TcpProxy> {
  let delayMs = 0;
  const pairs = new Set<[net.Socket, net.Socket]>();

  const server = net.createServer((client) => {
    const upstream = net.connect({ host: opts.targetHost, port: opts.targetPort });
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      reset(client);
      reset(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', () => {
      pairs.delete(pair);
      if (!upstream.destroyed) upstream.end();
    });
    upstream.on('close', () => {
      pairs.delete(pair);
      if (!client.destroyed) client.end();
    });
    forward(client, upstream, () => delayMs);
    forward(upstream, client, () => delayMs);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listenPort ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');

  const cutAll = () => {
    for (const [client, upstream] of pairs) {
      reset(client);
      reset(upstream);
    }
    pairs.clear();
  };

  return {
    port: address.port,
    cutAll,
    setDelay(ms: number) {
      delayMs = Math.max(0, ms);
    },
    connectionCount: () => pairs.size,
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}

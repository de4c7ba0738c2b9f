/**
 * A small TCP fault proxy (no toxiproxy needed): clients connect to host:port, each connection is
 * piped to the target. `cutAll` resets every open connection (RST, as a network failure looks;
 * new connections are still accepted), `pause`/`resume` stop and restart forwarding (and new
 * connections wait), `setDelay` holds every chunk for some milliseconds in each direction, and
 * `close` cuts everything and stops listening.
 */
import net from 'node:net';

export interface TcpProxyOptions {
  readonly targetHost: string;
  readonly targetPort: number;
  /** Interface to listen on. Default 127.0.0.1. */
  readonly listenHost?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  readonly listenPort?: number;
}

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Abruptly resets all open client and upstream sockets. New connections are accepted. */
  cutAll(): void;
  /** Holds all traffic (both directions, every connection) until resume(). Bytes are kept, not dropped. */
  pause(): void;
  resume(): void;
  /** Delay in ms applied to each chunk in each direction (0 = pass through). */
  setDelay(ms: number): void;
  /** Client connections currently open. */
  connectionCount(): number;
  /** Cuts all connections and stops listening. Idempotent. */
  close(): Promise<void>;
}

interface Link {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

function reset(socket: net.Socket): void {
  if (socket.destroyed) return;
  // RST rather than FIN: the peer sees a lost connection, not an orderly close.
  if (typeof socket.resetAndDestroy === 'function' && socket.readyState !== 'opening') socket.resetAndDestroy();
  else socket.destroy();
}

export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const listenHost = options.listenHost ?? '127.0.0.1';
  let delayMs = 0;
  let paused = false;
  const links = new Set<Link>();
  /** Work held while paused, run in order on resume. */
  let held: Array<() => void> = [];
  const whenFlowing = (fn: () => void) => (paused ? held.push(fn) : fn());

  /** Forwards `from` to `to` with the current delay and pause, keeping order and backpressure. */
  const forward = (from: net.Socket, to: net.Socket): void => {
    let lastDue = 0;
    let pending = 0;
    const write = (chunk: Buffer) => {
      if (to.destroyed || to.writableEnded) return;
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    };
    from.on('data', (chunk: Buffer) => {
      const ms = delayMs;
      if (ms <= 0 && pending === 0) return whenFlowing(() => write(chunk));
      // Never earlier than the chunk before it, so a shorter new delay cannot reorder the stream.
      const due = Math.max(Date.now() + ms, lastDue);
      lastDue = due;
      pending++;
      setTimeout(() => {
        pending--;
        whenFlowing(() => write(chunk));
      }, due - Date.now());
    });
    from.on('end', () => {
      setTimeout(() => whenFlowing(() => to.end()), Math.max(0, lastDue - Date.now()));
    });
  };

  const server = net.createServer((client) => {
    client.pause();
    const upstream = net.connect({ host: options.targetHost, port: options.targetPort });
    const link: Link = { client, upstream };
    links.add(link);
    const drop = () => {
      links.delete(link);
      reset(client);
      reset(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', () => {
      links.delete(link);
      if (!upstream.destroyed) upstream.end();
    });
    upstream.on('close', () => {
      links.delete(link);
      if (!client.destroyed) client.end();
    });
    forward(client, upstream);
    forward(upstream, client);
    client.resume();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listenPort ?? 0, listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the TCP proxy has no TCP address');

  const cutAll = () => {
    for (const { client, upstream } of links) {
      reset(client);
      reset(upstream);
    }
    links.clear();
  };
  let closing: Promise<void> | undefined;

  return {
    host: listenHost,
    port: address.port,
    cutAll,
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      const work = held;
      held = [];
      for (const fn of work) fn();
    },
    setDelay(ms: number) {
      delayMs = Math.max(0, ms);
    },
    connectionCount: () => links.size,
    close() {
      closing ??= new Promise<void>((resolve) => {
        held = [];
        cutAll();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

/** A fault proxy in front of the server of a URL (redis://, postgres://...), and that URL pointed at the proxy. */
export interface UrlProxy extends TcpProxy {
  /** The URL with host and port replaced by the proxy's; `password` replaces the URL's password when given. */
  url(password?: string): string;
}

export async function startUrlProxy(target: string, defaultPort: number): Promise<UrlProxy> {
  const parsed = new URL(target);
  const proxy = await startTcpProxy({ targetHost: parsed.hostname, targetPort: Number(parsed.port || defaultPort) });
  return Object.assign(proxy, {
    url(password?: string): string {
      const via = new URL(target);
      via.hostname = proxy.host;
      via.port = String(proxy.port);
      if (password) via.password = password;
      return via.toString();
    },
  });
}

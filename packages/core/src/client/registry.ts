import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.ts';
import { redactUrl } from '../redact.ts';
import type { TransportFactory } from '../spi/transport.ts';

/** Which package serves which URL scheme. Adapters are separate packages, loaded on demand. */
const PACKAGES: Record<string, string> = {
  memory: '@ferry/memory',
  kafka: '@ferry/kafka',
  amqp: '@ferry/rabbitmq',
  amqps: '@ferry/rabbitmq',
  sqs: '@ferry/sqs',
};

const registered = new Map<string, TransportFactory>();

/** Serves a scheme with your own factory (a third-party adapter, or a wrapped one in tests). */
export function registerTransport(scheme: string, factory: TransportFactory): void {
  registered.set(scheme.replace(/:$/, ''), factory);
}

export async function resolveFactory(url: URL): Promise<TransportFactory> {
  const scheme = url.protocol.replace(/:$/, '');
  const own = registered.get(scheme);
  if (own) return own;
  const pkg = PACKAGES[scheme];
  if (!pkg) {
    throw new ConfigError('url', `unknown scheme "${scheme}:" in ${redactUrl(url)}`, `Use one of ${Object.keys(PACKAGES).map((s) => `${s}://`).join(', ')}, or registerTransport('${scheme}', factory).`);
  }
  const mod = (await importAdapter(pkg)) as { createTransport?: TransportFactory } | undefined;
  if (typeof mod?.createTransport !== 'function') {
    throw new ConfigError('url', `${redactUrl(url)} needs the ${pkg} package, which is not installed`, `Install it (pnpm add ${pkg}) next to @ferry/core.`);
  }
  return mod.createTransport;
}

/**
 * Imports an adapter package: first as core sees it (npm/yarn hoisting), then as the application
 * sees it (pnpm keeps packages apart, so core cannot see the app's dependencies): from the
 * entry script's folder, then from the working directory. A package that is found but fails to
 * load reports its own error, not "not installed".
 */
async function importAdapter(pkg: string): Promise<unknown> {
  try {
    return await import(pkg);
  } catch (error) {
    if (!isNotFound(error, pkg)) throw error;
  }
  const bases = [process.argv[1], join(process.cwd(), 'package.json')].filter((b): b is string => Boolean(b));
  for (const base of bases) {
    let resolved: string;
    try {
      resolved = createRequire(base).resolve(pkg);
    } catch {
      continue; // not visible from there: try the next base
    }
    return import(pathToFileURL(resolved).href);
  }
  return undefined;
}

function isNotFound(error: unknown, pkg: string): boolean {
  const code = (error as { code?: string } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(`'${pkg}'`);
}

import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { format } from 'node:util';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { redactText, silentLogger, type Logger } from '@ferry/core/spi';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ResolvedConfig } from './options.ts';

/**
 * One SQS client per transport, tuned for throughput: keep-alive sockets (no TCP/TLS handshake per
 * request), enough of them for every long poll plus the publishers (the SDK's default is 50, and
 * each long poll holds one for up to 20 s), and timeouts that turn a hung request into an error
 * instead of a stalled consumer (the SDK sets no request timeout and only warns by default).
 */
export function createSqsClient(config: ResolvedConfig, logs: LogTarget = { logger: silentLogger }, onNodeVersionNotice: (text: string) => void = () => undefined): SQSClient {
  const agentOptions = { keepAlive: true, keepAliveMsecs: 1_000, maxSockets: config.maxSockets, maxFreeSockets: config.maxSockets };
  return withoutNodeVersionWarning(onNodeVersionNotice, () => new SQSClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    maxAttempts: config.maxAttempts,
    // false: the SDK's middleware skips its MD5 of every body sent and received (see the option).
    ...(config.md5Checks ? {} : { md5: false as const }),
    logger: sdkLogger(logs),
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: config.connectionTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  }));
}

/**
 * The SDK's constructor calls `process.emitWarning` with a 9-line `NodeVersionSupportWarning` on
 * Node.js < 22 (once per process): only that warning is taken out, for the transport's logger;
 * every other warning passes. Synchronous, so the original is back before anything else runs.
 */
export function withoutNodeVersionWarning<T>(notice: (text: string) => void, build: () => T): T {
  const original = process.emitWarning;
  process.emitWarning = ((...args: Parameters<typeof process.emitWarning>) => {
    const warning = args[0];
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.startsWith('NodeVersionSupportWarning')) return notice(text.replace(/\s+/g, ' '));
    return Reflect.apply(original, process, args);
  }) as typeof process.emitWarning;
  try {
    return build();
  } finally {
    process.emitWarning = original;
  }
}

/** Where the SDK's lines go; the transport sets `logger` when the client hands it one. */
export interface LogTarget {
  logger: Logger;
}

/**
 * The SDK's logger in Ferry's: its warnings at `warn`, its errors at `debug`. Its `error` is one
 * line per failed command, which the adapter gets as well and handles (a queue to create, a poll to
 * retry) or reports. No `info`: the SDK would log one line per request with the command's input and
 * output (message bodies included), and it builds that line, walking every entry and attribute
 * through its sensitive-data filter, whenever the logger has an `info` (it calls `logger.info?.(...)`),
 * even one that drops it: a few percent of a publish's CPU.
 */
function sdkLogger(target: LogTarget): SdkLogger {
  const line = (content: unknown[]) => redactText(format(...content));
  const logger = {
    debug: () => undefined,
    warn: (...content: unknown[]) => target.logger.warn({ source: 'aws-sdk' }, line(content)),
    error: (...content: unknown[]) => target.logger.debug({ source: 'aws-sdk' }, line(content)),
  };
  // The SDK's type asks for `info`; every call of it in the SDK is `logger.info?.(...)` (checked in the SDK's sources).
  return logger as unknown as SdkLogger;
}

type SdkLogger = NonNullable<SQSClientConfig['logger']>;

/** The request timeout of a long poll: the wait itself plus the normal request budget. */
export function pollTimeoutMs(config: ResolvedConfig): number {
  return config.waitTimeSeconds * 1000 + config.requestTimeoutMs;
}

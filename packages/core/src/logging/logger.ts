/**
 * The logger Ferry writes to: pino's call shape (`logger.warn({ messageId, topic }, 'text')`), so a
 * pino logger (or a child of one) can be passed as it is; bunyan and winston fit with a thin adapter.
 * Ferry logs only real problems at `warn` and `error`; `info` and `debug` say what happened to a
 * message (dead-lettered, retried) and when consumers start and stop.
 */
export type LogFn = (fields: Record<string, unknown>, message: string) => void;

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** pino's child loggers: every line of the child carries `bindings`. Optional: Ferry merges them itself otherwise. */
  child?(bindings: Record<string, unknown>): Logger;
  /** pino's: lets Ferry skip building the fields of a line nobody will see. Optional: assumed true. */
  isLevelEnabled?(level: LogLevel): boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

const ignore: LogFn = () => undefined;

/** Writes nothing. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore, child: () => silentLogger, isLevelEnabled: () => false };

/** Whether a line at `level` would be written (true when the logger cannot tell). */
export function levelEnabled(logger: Logger, level: LogLevel): boolean {
  return typeof logger.isLevelEnabled === 'function' ? logger.isLevelEnabled(level) : true;
}

/**
 * The default: one line per problem on stderr, `warn` and `error` only (quiet unless something is
 * wrong): `[ferry] WARN text {"messageId":"...","topic":"..."}`, an error's stack left out (a
 * logger of your own gets it). Fields are written as given: pass them through `redactFields`
 * first (Ferry's own calls do).
 */
export function stderrLogger(level: LogLevel = 'warn', bindings: Record<string, unknown> = {}, write: (line: string) => void = (line) => void process.stderr.write(line)): Logger {
  const at = (name: LogLevel): LogFn =>
    RANK[name] < RANK[level]
      ? ignore
      : (fields, message) => {
          const all = { ...bindings, ...fields };
          if (typeof all.err === 'object' && all.err !== null && 'stack' in all.err) all.err = { ...(all.err as Record<string, unknown>), stack: undefined };
          write(`[ferry] ${name.toUpperCase()} ${message}${Object.keys(all).length > 0 ? ` ${safeJson(all)}` : ''}\n`);
        };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => stderrLogger(level, { ...bindings, ...more }, write),
    isLevelEnabled: (asked) => RANK[asked] >= RANK[level],
  };
}

/** `logger.child(bindings)`, or a wrapper that adds them to every call when the logger has no `child`. */
export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  if (typeof logger.child === 'function') return logger.child(bindings);
  const wrap =
    (fn: LogFn): LogFn =>
    (fields, message) =>
      fn.call(logger, { ...bindings, ...fields }, message);
  const child: Logger = { debug: wrap(logger.debug), info: wrap(logger.info), warn: wrap(logger.warn), error: wrap(logger.error), child: (more) => childLogger(logger, { ...bindings, ...more }) };
  if (typeof logger.isLevelEnabled === 'function') child.isLevelEnabled = (level) => logger.isLevelEnabled!(level);
  return child;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '"<fields not serializable>"';
  }
}

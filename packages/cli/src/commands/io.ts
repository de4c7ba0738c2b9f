import { FerryError, redactText } from '@ferry/core';

/** Where a command writes: lines to stdout (`out`) and stderr (`err`). Tests capture them. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** An error as one line for the operator: a FerryError's code and message, anything else redacted. */
export function errorLine(error: unknown): string {
  return error instanceof FerryError ? `${error.code}: ${redactText(error.message)}` : `error: ${redactText(error instanceof Error ? error.message : String(error))}`;
}

/** Resolves on the first SIGINT or SIGTERM (or `signal`'s abort); `dispose` removes the listeners. */
export function untilStopped(signal?: AbortSignal): { stopped: Promise<void>; dispose: () => void } {
  let dispose = () => undefined as void;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      dispose();
      resolve();
    };
    dispose = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
  return { stopped, dispose };
}

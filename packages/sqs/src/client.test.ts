import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '@ferry/core/spi';
import { createSqsClient, withoutNodeVersionWarning } from './client.ts';
import { resolveConfig } from './options.ts';

describe('the SQS client logger', () => {
  it("sends the AWS SDK's warnings (warn) and failed commands (debug) to the transport's logger, redacted; drops its per-request info lines", async () => {
    const lines: string[] = [];
    const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push(`${level} ${message} ${JSON.stringify(fields)}`);
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const target = { logger };
    const client = createSqsClient(resolveConfig(new URL('sqs://us-east-1?endpoint=http://127.0.0.1:9324'), {}), target);
    const sdk = client.config.logger;
    // No `info` at all: the SDK then does not build its per-request line (it calls `logger.info?.(...)`).
    expect(sdk.info).toBeUndefined();
    sdk.warn('retrying https://user:hunter2@sqs.example/queue');
    sdk.error('failed', { code: 'X' });
    client.destroy();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^warn retrying https:\/\/user:\*\*\*@sqs\.example\/queue {"source":"aws-sdk"}$/);
    expect(lines[1]).toMatch(/^debug failed { code: 'X' }/);
  });
});

describe('the SQS client', () => {
  it("turns the AWS SDK's MD5 checks of bodies off unless md5Checks is set", () => {
    const url = new URL('sqs://us-east-1?endpoint=http://127.0.0.1:9324');
    const off = createSqsClient(resolveConfig(url, {}));
    const on = createSqsClient(resolveConfig(url, { md5Checks: true }));
    expect(off.config.md5).toBe(false);
    expect(typeof on.config.md5).toBe('function');
    off.destroy();
    on.destroy();
  });
});

describe('withoutNodeVersionWarning', () => {
  it("takes out only the SDK's NodeVersionSupportWarning, for the logger, and restores process.emitWarning", () => {
    const original = process.emitWarning;
    const passed = vi.fn();
    process.emitWarning = passed as unknown as typeof process.emitWarning;
    const notices: string[] = [];
    try {
      const built = withoutNodeVersionWarning((text) => notices.push(text), () => {
        process.emitWarning('NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions published after ...\nwill require node >=22.');
        process.emitWarning('something else', 'DeprecationWarning');
        return 42;
      });
      expect(built).toBe(42);
      expect(notices).toEqual(['NodeVersionSupportWarning: The AWS SDK for JavaScript (v3) versions published after ... will require node >=22.']);
      expect(passed).toHaveBeenCalledTimes(1);
      expect(passed).toHaveBeenCalledWith('something else', 'DeprecationWarning');
      expect(process.emitWarning).toBe(passed);
    } finally {
      process.emitWarning = original;
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { Logger } from '@ferry/core/spi';
import { createSqsClient } from './client.ts';
import { resolveConfig } from './options.ts';

describe('the SQS client logger', () => {
  it("sends the AWS SDK's warnings and errors to the transport's logger, redacted; drops its per-request info lines", async () => {
    const lines: string[] = [];
    const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push(`${level} ${message} ${JSON.stringify(fields)}`);
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const target = { logger };
    const client = createSqsClient(resolveConfig(new URL('sqs://us-east-1?endpoint=http://127.0.0.1:9324'), {}), target);
    const sdk = client.config.logger;
    sdk.info({ commandName: 'ReceiveMessageCommand', output: { Messages: [] } });
    sdk.warn('retrying https://user:hunter2@sqs.example/queue');
    sdk.error('failed', { code: 'X' });
    client.destroy();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^warn retrying https:\/\/user:\*\*\*@sqs\.example\/queue {"source":"aws-sdk"}$/);
    expect(lines[1]).toMatch(/^error failed { code: 'X' }/);
  });
});

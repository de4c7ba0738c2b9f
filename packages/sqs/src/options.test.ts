import { describe, expect, it } from 'vitest';
import { ConfigError } from '@ferry/core';
import { METADATA_RESERVE_BYTES, resolveConfig, SQS_LIMITS } from './options.ts';

describe('options', () => {
  it('takes region, endpoint and credentials from the URL; options in code win', () => {
    const c = resolveConfig(new URL('sqs://ak:sk@eu-west-1?endpoint=http%3A%2F%2F127.0.0.1%3A9324'), {});
    expect(c).toMatchObject({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:9324', credentials: { accessKeyId: 'ak', secretAccessKey: 'sk' } });
    expect(resolveConfig(new URL('sqs://eu-west-1'), { region: 'us-east-2' }).region).toBe('us-east-2');
    expect(resolveConfig(new URL('sqs://'), {}).region).toBeUndefined();
    expect(resolveConfig(new URL('sqs://eu-west-1?envelope=body'), {}).envelope).toBe('body');
    expect(resolveConfig(new URL('sqs://eu-west-1?envelope=body'), { envelope: 'attribute' }).envelope).toBe('attribute');
  });

  it('has defaults sized for SQS', () => {
    const c = resolveConfig(new URL('sqs://us-east-1'), {});
    expect(c).toMatchObject({ waitTimeSeconds: 20, visibilityTimeoutSeconds: 30, maxReceiveCount: 10, maxMessageBytes: SQS_LIMITS.messageBytes, topology: 'declare', fifoTopics: [], md5Checks: false, envelope: 'attribute' });
    expect(c.maxEnvelopeBytes).toBe(SQS_LIMITS.messageBytes - METADATA_RESERVE_BYTES);
  });

  it('refuses bad options with a ConfigError naming them', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ waitTimeSeconds: 21 }, 'sqs.waitTimeSeconds'],
      [{ maxMessageBytes: 2_000_000 }, 'sqs.maxMessageBytes'],
      [{ visibilityTimeoutSeconds: 50_000 }, 'sqs.visibilityTimeoutSeconds'],
      [{ queuePrefix: 'a.b' }, 'sqs.queuePrefix'],
      [{ queueNames: { orders: 'bad name' } }, 'sqs.queueNames.orders'],
      [{ fifo: true }, 'sqs.fifo'],
      [{ envelope: 'frame' }, 'sqs.envelope'],
    ];
    for (const [options, path] of bad) {
      const error = (() => {
        try {
          resolveConfig(new URL('sqs://us-east-1'), options);
        } catch (e) {
          return e;
        }
      })();
      expect(error, JSON.stringify(options)).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).path).toBe(path);
    }
    expect(() => resolveConfig(new URL('amqp://x'), {})).toThrow(ConfigError);
    expect(() => resolveConfig(new URL('sqs://us-east-1?waitTime=3'), {})).toThrow(/url\.waitTime/);
  });
});

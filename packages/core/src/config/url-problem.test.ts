import { describe, expect, it } from 'vitest';
import { createClient } from '../client/client.ts';
import { ConfigError } from '../errors.ts';

async function refusal(work: () => unknown): Promise<ConfigError> {
  try {
    await work();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('URL errors say what is wrong', () => {
  it('a URL without a host is shown as given, with what is wrong, and without its password', async () => {
    const bare = await refusal(() => createClient('kafka://:9092'));
    expect(bare.message).toContain('"kafka://:9092"');
    expect(bare.message).toContain('has no host');
    const withPassword = await refusal(() => createClient('kafka://app:s3cr3t@:9092'));
    expect(withPassword.message).toContain('has no host');
    expect(withPassword.message).not.toContain('s3cr3t');
    expect((await refusal(() => createClient('amqp://broker:56x72'))).message).toContain('port that is not a number');
  });
});

import { ConfigError } from '@ferry/core/spi';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './options.ts';

describe('the driver option', () => {
  it('is kafkajs unless asked, and platformatic from the URL or the options', () => {
    expect(resolveConfig(new URL('kafka://h:9092')).driver).toBe('kafkajs');
    expect(resolveConfig(new URL('kafka://h:9092?driver=platformatic')).driver).toBe('platformatic');
    expect(resolveConfig(new URL('kafka://h:9092'), { driver: 'platformatic' }).driver).toBe('platformatic');
  });

  it('refuses an unknown driver naming the field and the allowed values', () => {
    const error = (() => {
      try {
        resolveConfig(new URL('kafka://h:9092?driver=rdkafka'));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe('kafka.driver');
    expect((error as Error).message).toMatch(/kafkajs/);
    expect((error as Error).message).toMatch(/platformatic/);
  });

  it('refuses addressMap with the platformatic driver, which cannot rewrite broker addresses', () => {
    expect(() => resolveConfig(new URL('kafka://h:9092?driver=platformatic'), { addressMap: { 'h:9092': '127.0.0.1:19092' } })).toThrow(/kafka\.addressMap.*platformatic driver/);
    expect(resolveConfig(new URL('kafka://h:9092'), { addressMap: { 'h:9092': '127.0.0.1:19092' } }).addressMap).toEqual({ 'h:9092': '127.0.0.1:19092' });
  });
});

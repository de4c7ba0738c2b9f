import { expect, it } from 'vitest';
import { matchesTopic, topicPatternsSchema } from './topic-patterns.ts';

it('matches topics by name or prefix*', () => {
  expect(matchesTopic(['orders'], 'orders')).toBe(true);
  expect(matchesTopic(['orders'], 'orders2')).toBe(false);
  expect(matchesTopic(['ord*'], 'orders2')).toBe(true);
  expect(matchesTopic(['*'], 'anything')).toBe(true);
  expect(matchesTopic([], 'x')).toBe(false);
  expect(topicPatternsSchema.parse(undefined)).toEqual([]);
});

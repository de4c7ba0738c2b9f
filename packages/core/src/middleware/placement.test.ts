import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { placeMiddleware, type Step } from './placement.ts';

type Named = (() => string) & { label: string };
const mw = (label: string): Named => Object.assign(() => label, { label });
const steps: Step<Named>[] = [
  { name: 'a', middleware: mw('A') },
  { name: 'off', middleware: undefined },
  { name: 'b', middleware: mw('B') },
  { name: 'end', middleware: undefined },
];
const labels = (list: Named[]) => list.map((m) => m.label);

describe('placeMiddleware', () => {
  it('puts bare entries before the default step, in order, and drops steps configured off', () => {
    expect(labels(placeMiddleware(steps, [mw('x'), mw('y')], 'end', 'm'))).toEqual(['A', 'B', 'x', 'y']);
  });

  it('places entries before or after a named step, or relative to another entry by its name', () => {
    const placed = placeMiddleware(steps, [
      { middleware: mw('before-a'), before: 'a' },
      { name: 'mine', middleware: mw('after-a'), after: 'a' },
      { middleware: mw('after-a-2'), after: 'a' },
      { middleware: mw('after-mine'), after: 'mine' },
      { middleware: mw('before-off'), before: 'off' },
    ], 'end', 'm');
    expect(labels(placed)).toEqual(['before-a', 'A', 'after-a', 'after-mine', 'after-a-2', 'before-off', 'B']);
  });

  it('refuses an unknown step, both anchors, a name taken, and anything inside the last step, naming the entry', () => {
    const refused = (entries: Parameters<typeof placeMiddleware<Named>>[1]) => {
      try {
        placeMiddleware(steps, entries, 'end', 'consumer.middleware');
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error('not refused');
    };
    expect(refused([mw('x'), { middleware: mw('y'), before: 'nope' }])).toMatchObject({ path: 'consumer.middleware[1].before', message: expect.stringMatching(/no step named "nope".*Use one of: a, off, b, end/) });
    expect(refused([{ middleware: mw('y'), before: 'a', after: 'b' }]).path).toBe('consumer.middleware[0]');
    expect(refused([{ name: 'a', middleware: mw('y') }]).path).toBe('consumer.middleware[0].name');
    expect(refused([{ middleware: mw('y'), after: 'end' }]).path).toBe('consumer.middleware[0].after');
  });
});

import { ConfigError } from '../errors.ts';

/** A middleware placed by step name: `{ middleware, before: 'idempotency' }`, `{ name, middleware, after: 'decode' }`. */
export interface PlacedMiddleware<M> {
  /** Lets later entries place themselves relative to this one. */
  readonly name?: string;
  readonly middleware: M;
  /** Runs just outside the named step (it sees the message before that step does). */
  readonly before?: string;
  /** Runs just inside the named step. */
  readonly after?: string;
}

/** A bare middleware goes to the stack's default place; a placed one where it says. */
export type MiddlewareEntry<M> = M | PlacedMiddleware<M>;

/** A built-in step; `middleware` undefined when configured off (its name still anchors entries). */
export interface Step<M> {
  readonly name: string;
  readonly middleware: M | undefined;
}

interface Slot<M> {
  readonly name: string | undefined;
  readonly middleware: M | undefined;
  readonly builtIn: boolean;
}

/**
 * Orders built-in steps (outermost first) and user entries into one stack, the AWS SDK v3 way:
 * entries name the step they go before or after; bare ones go before `defaultBefore`. Entries
 * anchored to one step keep their registration order. `what` names the option in errors.
 */
export function placeMiddleware<M>(steps: readonly Step<M>[], entries: readonly MiddlewareEntry<M>[], defaultBefore: string, what: string): M[] {
  const slots: Slot<M>[] = steps.map((s) => ({ name: s.name, middleware: s.middleware, builtIn: true }));
  /** How many entries already sit after each anchor, so the next one goes after them. */
  const afterCount = new Map<string, number>();
  entries.forEach((entry, i) => {
    const placed = typeof entry === 'function' ? { middleware: entry as M } : (entry as PlacedMiddleware<M>);
    const path = `${what}[${i}]`;
    if (typeof placed.middleware !== 'function') {
      throw new ConfigError(`${path}.middleware`, 'must be a function (next) => handler', 'Pass the middleware itself, or { middleware, before | after: step }.');
    }
    if (placed.before !== undefined && placed.after !== undefined) {
      throw new ConfigError(path, 'has both `before` and `after`', 'Give one of them.');
    }
    if (placed.name !== undefined && slots.some((s) => s.name === placed.name)) {
      throw new ConfigError(`${path}.name`, `a step named ${JSON.stringify(placed.name)} exists already`, 'Give this middleware another name.');
    }
    const anchor = placed.before ?? placed.after ?? defaultBefore;
    const at = slots.findIndex((s) => s.name === anchor);
    if (at < 0) {
      const known = slots.map((s) => s.name).filter((n): n is string => n !== undefined);
      throw new ConfigError(`${path}.${placed.after !== undefined ? 'after' : 'before'}`, `there is no step named ${JSON.stringify(anchor)}`, `Use one of: ${known.join(', ')}.`);
    }
    if (placed.after !== undefined && at === slots.length - 1 && slots[at]!.builtIn) {
      throw new ConfigError(`${path}.after`, `nothing can run inside ${JSON.stringify(anchor)}, the last step`, `Use before: ${JSON.stringify(anchor)}.`);
    }
    const slot: Slot<M> = { name: placed.name, middleware: placed.middleware, builtIn: false };
    if (placed.after === undefined) {
      slots.splice(at, 0, slot);
    } else {
      const count = afterCount.get(anchor) ?? 0;
      slots.splice(at + 1 + count, 0, slot);
      afterCount.set(anchor, count + 1);
    }
  });
  return slots.map((s) => s.middleware).filter((m): m is M => m !== undefined);
}

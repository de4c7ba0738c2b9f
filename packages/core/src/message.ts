import type { z } from 'zod';

/**
 * A typed message: its type name, the zod schema of its payload and the topic it travels on.
 * `publish` takes `z.input` of the schema; handlers receive `z.output`.
 */
export interface MessageDefinition<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly topic: string;
  readonly schema: S;
}

export type PayloadIn<M extends MessageDefinition> = z.input<M['schema']>;
export type PayloadOut<M extends MessageDefinition> = z.output<M['schema']>;

export interface DefineMessageOptions {
  /** Topic it travels on. Default: the type. Several types may share one topic. */
  readonly topic?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function defineMessage<S extends z.ZodType>(
  type: string,
  schema: S,
  options: DefineMessageOptions = {},
): MessageDefinition<S> {
  const topic = options.topic ?? type;
  for (const [what, value] of [
    ['type', type],
    ['topic', topic],
  ] as const) {
    if (!NAME.test(value)) {
      throw new TypeError(
        `defineMessage: ${what} ${JSON.stringify(value)} is not a valid name. ` +
          'Use 1-200 letters, digits, ".", "_" or "-", starting with a letter or digit.',
      );
    }
  }
  return Object.freeze({ type, topic, schema });
}

import { SchemaError } from '../errors.ts';
import type { MessageDefinition } from '../message.ts';
import type { HandlerFn, MessageContext, Middleware } from './types.ts';
import { toSchemaIssues } from '../schema-issues.ts';
import { safeParseSync, type ParseResult } from '../schema-parse.ts';

/** Parses the decoded payload with its definition's zod schema; a failure is never handed on. */
export function validateSchema(): Middleware {
  // Not async on the synchronous path (see decode): one frame and promise less per message.
  return (next) => (ctx) => {
    const definition = ctx.definition;
    if (!definition) return next(ctx);
    let result: ParseResult | undefined;
    try {
      result = safeParseSync(definition.schema, ctx.payload);
    } catch (error) {
      return Promise.reject(error);
    }
    if (result === undefined) return parseAsyncThen(definition, ctx, next);
    if (!result.success) return Promise.reject(new SchemaError(definition.type, toSchemaIssues(result.error)));
    ctx.payload = result.data;
    return next(ctx);
  };
}

async function parseAsyncThen(definition: MessageDefinition, ctx: MessageContext, next: HandlerFn): Promise<void> {
  const result = await definition.schema.safeParseAsync(ctx.payload);
  if (!result.success) throw new SchemaError(definition.type, toSchemaIssues(result.error));
  ctx.payload = result.data;
  await next(ctx);
}

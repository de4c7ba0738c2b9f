import type { z } from 'zod';
import type { SchemaIssue } from './errors.ts';

/** zod issues as `{ path: 'items.0.qty', message }`, the form dead-letter headers carry. */
export function toSchemaIssues(error: z.ZodError): SchemaIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

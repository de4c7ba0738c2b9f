import { it } from 'vitest';
import { checkDocSnippets } from './doc-snippets.ts';

// docs/exactly-once.md's set-up snippets are runnable: each TypeScript block, on its own, must
// typecheck and run to the end on memory:// against the machine's Redis and PostgreSQL
// (REDIS_URL / DATABASE_URL, else 127.0.0.1, as the snippets say).
it('docs/exactly-once.md: every snippet typechecks and runs on its own', () => {
  checkDocSnippets('docs/exactly-once.md', 3, {
    ...process.env,
    DATABASE_URL: process.env.FERRY_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    REDIS_URL: process.env.FERRY_REDIS_URL ?? 'redis://127.0.0.1:6379',
  });
}, 240_000); // typechecks each snippet with tsc: minutes on a loaded machine

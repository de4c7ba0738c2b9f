import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, it } from 'vitest';
import { checkDocSnippets } from './doc-snippets.ts';

// docs/outbox.md's snippets are runnable: each TypeScript block, on its own, must typecheck and run
// to the end on memory://. They use the default schema, so they get a database of their own: a
// relay of another run on the same tables could take this run's rows.
const server = process.env.FERRY_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const database = `ferry_outbox_doc_${randomBytes(4).toString('hex')}`;
const admin = new pg.Pool({ connectionString: server, max: 1 });
beforeAll(async () => {
  await admin.query(`CREATE DATABASE ${database}`);
});
afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
});

it('docs/outbox.md: every snippet typechecks and runs on its own', () => {
  const url = new URL(server);
  url.pathname = `/${database}`;
  checkDocSnippets('docs/outbox.md', 2, { ...process.env, DATABASE_URL: url.toString() });
}, 240_000); // typechecks each snippet with tsc: minutes on a loaded machine

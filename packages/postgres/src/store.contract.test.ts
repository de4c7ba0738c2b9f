// The IdempotencyStore contract against the real PostgreSQL (FERRY_POSTGRES_URL or
// 127.0.0.1:5432/test): every "instance" has its own pool, as separate processes would.
import { runStoreContract } from '@ferry/testkit';
import { PostgresIdempotencyStore } from './store.ts';
import { POSTGRES_URL, testSchema } from './test-support.ts';

const { schema, migrated } = testSchema();
runStoreContract({
  name: 'postgres',
  createStore: async () => {
    await migrated;
    return new PostgresIdempotencyStore({ connectionString: POSTGRES_URL, schema, maxConnections: 4 });
  },
});

import { MemoryIdempotencyStore } from '@ferry/core';
import { runStoreContract } from './store-contract.ts';

// One map shared by the "instances": the contract's two-instance cases model two processes over one database.
const shared = new MemoryIdempotencyStore();
runStoreContract({ name: 'memory', createStore: () => shared });

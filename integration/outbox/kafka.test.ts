// The PostgreSQL outbox on Kafka, per-key commit order included (see suite.ts).
import { outboxSuite } from './suite.ts';

outboxSuite('kafka', 'Kafka', { ordered: true });

// The PostgreSQL outbox on SQS: ElasticMQ, a standard queue, which keeps no order (see suite.ts).
import { outboxSuite } from './suite.ts';

outboxSuite('sqs', 'SQS (ElasticMQ, standard queue)', { ordered: false });

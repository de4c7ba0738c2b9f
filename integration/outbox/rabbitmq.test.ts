// The PostgreSQL outbox on RabbitMQ (see suite.ts). Its consumer runs keys concurrently (no single
// active consumer), so per-key order is checked on Kafka only.
import { outboxSuite } from './suite.ts';

outboxSuite('rabbitmq', 'RabbitMQ', { ordered: false });

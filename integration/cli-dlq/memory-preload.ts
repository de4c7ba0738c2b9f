/**
 * Loaded with --import before the CLI in its own process: memory:// lives in one process, so the
 * dead letters are made there. FERRY_SEED_TOPIC names the topic (its broker: memory://cli-dlq).
 */
import { seedDeadLetters } from './seed.ts';

const topic = process.env.FERRY_SEED_TOPIC;
if (topic) await seedDeadLetters('memory://cli-dlq', {}, topic);

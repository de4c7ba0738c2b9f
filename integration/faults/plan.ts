/** What a fault run does and what its child processes are told (they read it as JSON from FERRY_FAULT). */
import { defineMessage } from '@ferry/core';
import { z } from 'zod';

export type BrokerKind = 'kafka' | 'rabbitmq' | 'sqs';
/**
 * How the consumers handle: at-least-once (the effect is the handler's run), or exactly-once with
 * the Redis idempotency store (effect: the handler's run), the PostgreSQL inbox (effect: a row
 * inserted in the inbox's transaction) or, on Kafka, transactions (effect: a record the handler
 * publishes to an output topic, read with read_committed).
 */
export const MODES = ['at-least-once', 'eo-redis', 'eo-inbox', 'eo-transactions'] as const;
export type Mode = (typeof MODES)[number];

/** Where a mode's effects go; set by the parent (effects.ts) for the children. */
export interface EffectTarget {
  readonly redisUrl?: string;
  readonly keyPrefix?: string;
  readonly postgresUrl?: string;
  readonly schema?: string;
  readonly outputTopic?: string;
}

export interface Plan {
  readonly broker: BrokerKind;
  readonly mode: Mode;
  readonly messages: number;
  /** Consumer processes SIGKILLed (and restarted) at random moments. */
  readonly kills: number;
  /** Broker restarts (kill -9 and start again on the same data; RabbitMQ: stop_app / start_app). */
  readonly restarts: number;
  /** Connection cuts: every client socket through the fault proxy closed at once. */
  readonly cuts: number;
  /** Competing consumer processes. */
  readonly consumers: number;
  readonly concurrency: number;
  /** The producer spreads its publishes over this long, and the faults fall in it. */
  readonly publishMs: number;
  /** Give up waiting for the last messages after this long. */
  readonly deadlineMs: number;
}

export const FULL: Omit<Plan, 'broker' | 'mode'> = { messages: 100_000, kills: 20, restarts: 3, cuts: 10, consumers: 2, concurrency: 32, publishMs: 150_000, deadlineMs: 15 * 60_000 };
export const REDUCED: Omit<Plan, 'broker' | 'mode'> = { messages: 10_000, kills: 3, restarts: 1, cuts: 2, consumers: 2, concurrency: 32, publishMs: 25_000, deadlineMs: 7 * 60_000 };

/** What a child process needs: where to connect and what to do. */
export interface ChildConfig {
  readonly url: string;
  readonly transport: Record<string, unknown>;
  readonly topic: string;
  readonly group: string;
  readonly mode: Mode;
  readonly concurrency: number;
  readonly effects: EffectTarget;
  /** Producer only: ids `<prefix>-<n>` for n in [0, messages). */
  readonly prefix?: string;
  readonly messages?: number;
  /** Producer only: spread the publishes over this long. */
  readonly publishMs?: number;
}

export const faultMessage = (topic: string) => defineMessage('fault.item', z.object({ n: z.number().int() }), { topic });
/** What an eo-transactions handler publishes: the input's id, once per input if exactly-once holds. */
export const faultOutput = (topic: string) => defineMessage('fault.output', z.object({ input: z.string() }), { topic });

export function childConfig(): ChildConfig {
  const raw = process.env.FERRY_FAULT;
  if (!raw) throw new Error('FERRY_FAULT is not set: this script is started by integration/faults/scenario.ts');
  return JSON.parse(raw) as ChildConfig;
}

/** Lines children write on stdout (one write each: a pipe keeps them whole). */
export const LINE = {
  ready: 'READY',
  published: 'P',
  /** A delivery reached the consumer (before the exactly-once step drops copies). */
  delivered: 'D',
  /** The handler ran (the effect, except in eo-inbox and eo-transactions, whose effects are committed elsewhere). */
  handled: 'H',
  done: 'DONE',
} as const;

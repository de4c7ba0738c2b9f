import { redactError, redactSecrets } from './redact.ts';

/**
 * Every error Ferry throws is a FerryError with a stable `code`, so callers can branch without
 * parsing messages. Messages say what went wrong and what to do instead.
 */
export class FerryError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A bad option, named by its path, with what is allowed. Thrown at creation, never later. */
export class ConfigError extends FerryError {
  readonly path: string;
  constructor(path: string, problem: string, fix: string) {
    super('FERRY_CONFIG', `Invalid option \`${path}\`: ${problem}. ${fix}`);
    this.path = path;
  }
}

/** A transport asked for a feature it lacks. */
export class CapabilityError extends FerryError {
  readonly transport: string;
  readonly feature: string;
  constructor(transport: string, feature: string, detail: string, instead: string) {
    super('FERRY_CAPABILITY', `The ${transport} transport does not support ${feature}: ${detail}. ${instead}`);
    this.transport = transport;
    this.feature = feature;
  }
}

/** A topic (or its group's queue) that a tool reads does not exist; nothing was created. */
export class NotFoundError extends FerryError {
  readonly topic: string;
  constructor(transport: string, topic: string, what: string, fix: string) {
    super('FERRY_NOT_FOUND', `The ${transport} broker has no ${what} \`${topic}\`; nothing was created. ${fix}`);
    this.topic = topic;
  }
}

/** publish / consume / start after close. */
export class ClosedError extends FerryError {
  constructor(what: string) {
    super('FERRY_CLOSED', `Cannot use a closed ${what}. Create a new one from the client.`);
  }
}

export class MessageTooLargeError extends FerryError {
  readonly size: number;
  readonly limit: number;
  constructor(transport: string, size: number, limit: number) {
    super(
      'FERRY_MESSAGE_TOO_LARGE',
      `Message of ${size} bytes exceeds the ${transport} transport's limit of ${limit} bytes. ` +
        'Store large payloads elsewhere (e.g. object storage) and send a reference.',
    );
    this.size = size;
    this.limit = limit;
  }
}

/** A publish the broker did not accept; `cause` holds the client's error. */
export class PublishError extends FerryError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'FERRY_PUBLISH', message, options);
  }

  /**
   * A broker client's send error as a PublishError: returned as is when it is one already, else
   * `describe` gets the client's message with credentials (and the literal `secrets`) redacted, and
   * the cause is the client's error, redacted likewise.
   */
  static from(error: unknown, describe: (reason: string) => string, secrets: readonly (string | undefined)[] = []): PublishError {
    if (error instanceof PublishError) return error;
    return new PublishError(describe(redactSecrets(error instanceof Error ? error.message : String(error), secrets)), { cause: redactError(error, secrets) });
  }
}

/**
 * A publish refused because no consumer group keeps the topic's messages on a transport that keeps
 * messages only for groups that exist (RabbitMQ): accepted, it would have been dropped.
 */
export class NoGroupError extends PublishError {
  readonly topic: string;
  constructor(transport: string, topic: string, detail: string, options?: { cause?: unknown }) {
    super(
      `No consumer group keeps messages of topic \`${topic}\` on the ${transport} transport (${detail}): the broker would drop the message, so the publish is refused. ` +
        `Declare the groups the topic keeps messages for with the client option \`topics\`, e.g. createClient(url, { topics: { '${topic}': { groups: ['billing'] } } }), or start a consumer of the group before publishing.`,
      { ...options, code: 'FERRY_NO_GROUP' },
    );
    this.topic = topic;
  }
}

/**
 * An idempotency store or inbox (Redis, PostgreSQL) could not do what was asked: unreachable,
 * connection lost, schema missing. Retryable: the message is not acknowledged, and comes back.
 */
export class StoreError extends FerryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FERRY_STORE', message, options);
  }
}

/**
 * Throw (or wrap) this in a handler to skip retries: the message goes straight to the dead letter.
 * Decode and schema failures are non-retryable too.
 */
export class NonRetryableError extends FerryError {
  /** What kind of failure, recorded in the dead-letter headers. */
  readonly kind: string;
  constructor(message: string, options?: { cause?: unknown; kind?: string; code?: string }) {
    super(options?.code ?? 'FERRY_NON_RETRYABLE', message, options);
    this.kind = options?.kind ?? 'handler';
  }
}

/** Payload bytes the codec cannot decode. */
export class DecodeError extends NonRetryableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, kind: 'decode', code: 'FERRY_DECODE' });
  }
}

export interface SchemaIssue {
  readonly path: string;
  readonly message: string;
}

/** Payload that fails its message schema (on publish, or on receive where it is dead-lettered). */
export class SchemaError extends NonRetryableError {
  readonly issues: readonly SchemaIssue[];
  constructor(type: string, issues: readonly SchemaIssue[]) {
    super(
      `Payload of \`${type}\` fails its schema: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
      { kind: 'schema', code: 'FERRY_SCHEMA' },
    );
    this.issues = issues;
  }
}

/** True unless the error (or its cause chain) says retrying cannot help. */
export function isRetryable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof NonRetryableError) return false;
  }
  return true;
}

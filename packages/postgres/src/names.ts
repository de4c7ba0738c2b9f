import { ConfigError } from '@ferry/core';

/** Where Ferry's tables live. Every name is a plain identifier; quoted wherever it goes into SQL. */
export interface TableNames {
  /** Default `public`. */
  readonly schema?: string;
  /** The idempotency store's table. Default `ferry_idempotency`. */
  readonly idempotencyTable?: string;
  /** The inbox's table of handled keys. Default `ferry_inbox`. */
  readonly inboxTable?: string;
  /** The inbox's claim counts (crash-loop detection). Default `<inboxTable>_claims`. */
  readonly inboxClaimsTable?: string;
  /** The outbox's messages waiting for (and kept after) the relay. Default `ferry_outbox`. */
  readonly outboxTable?: string;
}

export interface ResolvedNames {
  readonly schema: string;
  readonly idempotencyTable: string;
  readonly inboxTable: string;
  readonly inboxClaimsTable: string;
  readonly outboxTable: string;
}

export function resolveNames(names: TableNames = {}): ResolvedNames {
  const inboxTable = names.inboxTable ?? 'ferry_inbox';
  const resolved = {
    schema: names.schema ?? 'public',
    idempotencyTable: names.idempotencyTable ?? 'ferry_idempotency',
    inboxTable,
    inboxClaimsTable: names.inboxClaimsTable ?? `${inboxTable}_claims`,
    outboxTable: names.outboxTable ?? 'ferry_outbox',
  };
  for (const [option, value] of Object.entries(resolved)) {
    if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(value)) {
      throw new ConfigError(`postgres.${option}`, `${JSON.stringify(value)} is not a plain identifier`, 'Use letters, digits, "_" and "$" (at most 63, not starting with a digit).');
    }
  }
  return resolved;
}

/** `"name"`: an identifier quoted for SQL (names are checked to be plain, so no escaping is left to do). */
export function ident(name: string): string {
  return `"${name}"`;
}

/** `"schema"."table"`. */
export function qualified(schema: string, table: string): string {
  return `${ident(schema)}.${ident(table)}`;
}

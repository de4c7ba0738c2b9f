/** Names of settings whose values are secrets, in URLs' query strings, key=value text and JSON. */
const SECRET_NAME = /secret|passw(or)?d|token|credential|api[-_]?key|access[-_]?key|sasl|auth/i;

/** Replaces the password (and secret-looking query values) of a URL so it can be logged. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    // Not a URL the parser takes (`kafka://:9092`): still show it, with anything secret-looking hidden.
    return redactText(String(url));
  }
  if (parsed.password) parsed.password = '***';
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_NAME.test(name) || /key$/i.test(name)) parsed.searchParams.set(name, '***');
  }
  return parsed.toString();
}

/**
 * Redacts secrets found in free text (error messages from clients, log lines): URL passwords (also
 * with an empty user name, `amqp://:pw@host`), secret-looking `name=value` pairs (query strings,
 * connection strings) and JSON `"name": "value"` pairs.
 */
export function redactText(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:)([^@\s/]+)@/gi, '$1***@')
    .replace(/(^|[?&;,\s])([A-Za-z0-9_.-]+)=([^&;,\s"']+)/g, (all, lead: string, name: string) => (SECRET_NAME.test(name) ? `${lead}${name}=***` : all))
    .replace(/("([A-Za-z0-9_.-]+)"\s*:\s*)"([^"]*)"/g, (all, lead: string, name: string) => (SECRET_NAME.test(name) ? `${lead}"***"` : all));
}

/** redactText, and the literal `secrets` given (a password that looks like nothing in particular) too. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = redactText(text);
  for (const secret of secrets) if (secret && secret.length >= 3) out = out.split(secret).join('***');
  return out;
}

/**
 * A client's error safe to keep as a `cause`: the same error when it holds no secret, else a copy
 * (same prototype, so `instanceof` still works) whose message, stack, string fields and causes are
 * redacted, also of the literal `secrets` given.
 */
export function redactError(error: unknown, secrets: readonly (string | undefined)[] = [], depth = 0): unknown {
  if (typeof error === 'string') return redactSecrets(error, secrets);
  if (!(error instanceof Error) || depth > 8) return error;
  const cause = redactError(error.cause, secrets, depth + 1);
  const fields: Record<string, unknown> = {};
  let changed = cause !== error.cause;
  for (const [name, value] of Object.entries(error)) {
    fields[name] = typeof value === 'string' ? redactSecrets(value, secrets) : value;
    changed ||= fields[name] !== value;
  }
  const message = redactSecrets(error.message, secrets);
  const stack = error.stack === undefined ? undefined : redactSecrets(error.stack, secrets);
  if (!changed && message === error.message && stack === error.stack) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  Object.assign(copy, fields);
  Object.defineProperty(copy, 'message', { value: message, writable: true, configurable: true });
  Object.defineProperty(copy, 'stack', { value: stack, writable: true, configurable: true });
  if (error.cause !== undefined) Object.defineProperty(copy, 'cause', { value: cause, writable: true, configurable: true });
  return copy;
}


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

/** Replaces the password (and secret-looking query values) of a URL so it can be logged. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return '<unparseable url>';
  }
  if (parsed.password) parsed.password = '***';
  for (const name of [...parsed.searchParams.keys()]) {
    if (/secret|password|token|key/i.test(name)) parsed.searchParams.set(name, '***');
  }
  return parsed.toString();
}

/** Redacts every URL-with-credentials found in free text (for error messages from clients), also with an empty user (`redis://:pass@host`). */
export function redactText(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:)([^@\s/]+)@/gi, '$1***@');
}

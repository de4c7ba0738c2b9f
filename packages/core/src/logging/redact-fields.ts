import { redactText, redactUrl } from '../redact.ts';

/** Field names whose values never reach a log: credentials under any of their usual names. */
const SECRET_NAME = /^pass$|pass(word|wd|phrase)|secret|token|authori[sz]ation|credential|cookie|api[-_]?key|private[-_]?key|session[-_]?key|sasl/i;

/**
 * A copy of `fields` safe to log: values under secret-looking names become `***`, URLs with
 * credentials in strings are masked (`amqp://user:***@host`), nested objects are walked (to a depth of 4).
 */
export function redactFields(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return redactObject(fields, 0);
}

function redactObject(fields: Readonly<Record<string, unknown>>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) out[name] = SECRET_NAME.test(name) ? '***' : redactValue(value, depth);
  return out;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) return errorFields(value);
  if (value instanceof URL) return redactUrl(value);
  if (Buffer.isBuffer(value)) return `<Buffer ${value.length} bytes>`;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 4) return '[…]';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  return redactObject(value as Record<string, unknown>, depth + 1);
}

/**
 * An error as log fields (pino's `err` shape: type, message, code, stack), credentials masked.
 * A thrown non-Error is logged by its string form.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error, message: redactText(String(error)) };
  const out: Record<string, unknown> = { type: error.name, message: redactText(error.message) };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (error.stack) out.stack = redactText(error.stack);
  return out;
}

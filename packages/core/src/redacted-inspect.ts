import { inspect } from 'node:util';
import { redactFields } from './logging/redact-fields.ts';

/**
 * Makes `target` show its secrets masked wherever it is printed: util.inspect / console.log
 * (`[inspect.custom]`) and JSON.stringify (`toJSON`), as what `view` returns (default: its own
 * fields) with secret-looking fields, URL passwords and private keys replaced by `***`. Both are
 * non-enumerable, so spreading the object copies its data only. Returns `target`.
 */
export function redactWhenShown<T extends object>(target: T, view: () => Readonly<Record<string, unknown>> = () => ({ ...(target as Record<string, unknown>) })): T {
  const shown = () => redactFields(maskPrivateKeys(view(), 0) as Record<string, unknown>);
  // A non-string result is inspected by Node in turn, with the caller's options.
  Object.defineProperty(target, inspect.custom, { value: shown, configurable: true });
  Object.defineProperty(target, 'toJSON', { value: shown, configurable: true });
  return target;
}

/** TLS private keys (`key`, `pfx`): secret in a config, though a field named `key` in a log is a message key. */
function maskPrivateKeys(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || value instanceof URL || Buffer.isBuffer(value) || depth > 4) return value;
  if (Array.isArray(value)) return value.map((v) => maskPrivateKeys(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, name === 'key' || name === 'pfx' ? '***' : maskPrivateKeys(v, depth + 1)]));
}

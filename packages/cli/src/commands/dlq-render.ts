import type { DeadLetter } from '@ferry/core';

/** The dead letters grouped by reason (with kind), type and original topic, largest first. */
export function summary(topic: string, transport: string, letters: readonly DeadLetter[], more: boolean): string[] {
  const lines = [`${topic} on ${transport}: ${letters.length}${more ? '+' : ''} dead letter${letters.length === 1 ? '' : 's'}${more ? ' (read stopped at --max; more wait behind)' : ''}`];
  if (letters.length === 0) return lines;
  const groups: Array<[string, (d: DeadLetter) => string]> = [
    ['by reason', (d) => `${d.kind ?? '?'}: ${firstLine(d.reason ?? '(no reason: not dead-lettered by Ferry)')}`],
    ['by type', (d) => d.type],
    ['by original topic', (d) => d.originalTopic ?? '(unknown)'],
  ];
  for (const [title, keyOf] of groups) {
    lines.push(`  ${title}:`);
    for (const [key, n] of counted(letters.map(keyOf))) lines.push(`    ${String(n).padStart(6)}  ${key}`);
  }
  lines.push('  #  id  type  kind  dead-lettered');
  letters.forEach((d, i) => lines.push(`  ${i + 1}  ${d.id}  ${d.type}  ${d.kind ?? '?'}  ${d.deadLetteredAt === undefined ? '?' : new Date(d.deadLetteredAt).toISOString()}`));
  return lines;
}

/** One dead letter in full. */
export function detail(letter: DeadLetter, index: number, topic: string): string[] {
  const lines = [
    `dead letter #${index} of ${topic}`,
    `  id              ${letter.id}`,
    `  type            ${letter.type}`,
    `  key             ${letter.key ?? '(none)'}`,
    `  published       ${new Date(letter.publishedAt).toISOString()}`,
    `  dead-lettered   ${letter.deadLetteredAt === undefined ? '(unknown)' : new Date(letter.deadLetteredAt).toISOString()}`,
    `  attempts        ${letter.attempts ?? '(unknown)'}`,
    `  kind            ${letter.kind ?? '(unknown)'}`,
    `  original topic  ${letter.originalTopic ?? '(unknown)'}`,
    `  original group  ${letter.originalGroup ?? '(unknown)'}`,
    `  coordinates     ${JSON.stringify(letter.originalCoordinates ?? null)}`,
  ];
  if (letter.truncated) lines.push(`  truncated       ${letter.truncated} (cut to fit the transport's size limit)`);
  lines.push('reason:', indent(letter.reason ?? '(none)'));
  if (letter.issues !== undefined) lines.push('zod issues:', indent(JSON.stringify(letter.issues, null, 2)));
  if (letter.stack) lines.push('stack:', indent(letter.stack));
  lines.push('headers:');
  for (const [name, value] of Object.entries(letter.headers).sort(([a], [b]) => a.localeCompare(b))) lines.push(`  ${name}: ${value.split('\n')[0]}`);
  const shown = payloadText(letter.payload);
  lines.push(`payload (${letter.payload.byteLength} bytes, ${shown.encoding}):`, indent(shown.text));
  return lines;
}

/** JSON object for --json: the payload as text when it is UTF-8, else base64. */
export function asJson(letter: DeadLetter, index: number): Record<string, unknown> {
  const { payload, ...rest } = letter;
  const shown = payloadText(payload);
  return { index, ...rest, payload: shown.encoding === 'base64' ? undefined : new TextDecoder().decode(payload), payloadBase64: Buffer.from(payload).toString('base64'), payloadEncoding: shown.encoding };
}

/** Pretty JSON, else UTF-8 text, else base64 (bytes that did not decode are shown as they are). */
export function payloadText(payload: Uint8Array): { encoding: 'json' | 'text' | 'base64'; text: string } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    return { encoding: 'base64', text: Buffer.from(payload).toString('base64') };
  }
  try {
    return { encoding: 'json', text: JSON.stringify(JSON.parse(text), null, 2) };
  } catch {
    return { encoding: 'text', text };
  }
}

function counted(keys: readonly string[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function firstLine(text: string): string {
  const line = text.split('\n')[0]!;
  return line.length > 100 ? `${line.slice(0, 100)}…` : line;
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}

/** The fault run's table: one row per broker and mode. */
import type { Result } from './scenario.ts';

const seconds = (ms: number | undefined) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);

function recoveries(r: Result): string {
  const parts: string[] = [];
  for (const kind of ['kill', 'restart', 'cut'] as const) {
    const of = r.recoveries.filter((x) => x.kind === kind);
    if (of.length === 0) continue;
    const known = of.map((x) => x.ms).filter((ms): ms is number => ms !== undefined);
    const late = of.filter((x) => x.afterTheEnd).length;
    const never = of.length - known.length - late;
    const max = known.length > 0 ? Math.max(...known) : undefined;
    const median = known.length > 0 ? [...known].sort((a, b) => a - b)[Math.floor(known.length / 2)] : undefined;
    const stats = known.length > 0 ? `median ${seconds(median)}, max ${seconds(max)}` : '';
    const notes = [stats, never > 0 ? `${never} never recovered` : '', late > 0 ? `${late} after the last message` : ''].filter(Boolean).join(', ');
    parts.push(`${of.length} ${kind}${of.length > 1 ? 's' : ''}: ${notes}`);
  }
  return parts.join('; ') || 'none';
}

export function formatTable(results: readonly Result[]): string {
  const head = ['broker', 'mode', 'published', 'handled (distinct)', 'lost', 'duplicates', 'longest stall', 'run', 'recoveries'];
  const rows = results.map((r) => [
    r.broker,
    r.mode,
    String(r.published),
    String(r.handled),
    String(r.lost),
    String(r.duplicates),
    seconds(r.longestStallMs),
    seconds(r.durationMs),
    recoveries(r),
  ]);
  const table = [head, head.map(() => '---'), ...rows];
  return table.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/**
 * The fault run's table: one row per broker and mode. A fault's recovery time runs from the fault
 * until every message outstanding at that moment (published, not yet handled) has been handled.
 */
import type { Result } from './scenario.ts';

const seconds = (ms: number | undefined) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);

const short = (ms: number | undefined) => (ms === undefined ? 'never' : (ms / 1000).toFixed(1));

/** Per fault kind: each recovery in the order the faults came (seconds), then the median and the longest. */
function recoveries(r: Result): string {
  const parts: string[] = [];
  for (const kind of ['kill', 'restart', 'cut'] as const) {
    const of = r.recoveries.filter((x) => x.kind === kind);
    if (of.length === 0) continue;
    const known = of.map((x) => x.ms).filter((ms): ms is number => ms !== undefined);
    const sorted = [...known].sort((a, b) => a - b);
    const stats = known.length > 1 ? `; median ${short(sorted[Math.floor(sorted.length / 2)])}, max ${short(sorted.at(-1))}` : '';
    parts.push(`${of.length} ${kind}${of.length > 1 ? 's' : ''}: ${of.map((x) => short(x.ms)).join(', ')} s${stats}`);
  }
  return parts.join('; ') || 'none';
}

/** One line per fault: when it came, what was outstanding, how long until all of that was handled. */
export function formatRecoveries(r: Result): string {
  return r.recoveries.map((x) => `  ${x.kind.padEnd(7)} at ${seconds(x.atMs).padStart(7)}: ${String(x.outstanding).padStart(6)} outstanding, all handled after ${seconds(x.ms)}`).join('\n');
}

function duplicateEffects(r: Result): string {
  if (r.duplicateEffects === 0) return '0';
  const ids = `${r.duplicatedIds} id${r.duplicatedIds === 1 ? '' : 's'}`;
  return r.duplicateEffectsFromKills === undefined ? `${r.duplicateEffects} (${ids})` : `${r.duplicateEffects} (${ids}, ${r.duplicateEffectsFromKills} after a kill)`;
}

/** What a run with lost ids says about them: how many a consumer had received, and when handling stopped. */
export function describeLoss(r: Result): string {
  return `${r.lost} not handled when the run ended after ${(r.durationMs / 1000).toFixed(0)} s (${r.lostDelivered} of them received by a consumer at least once; the last message was handled ${(r.quietAtEndMs / 1000).toFixed(0)} s before the end), e.g. ${r.lostSample.join(', ')}`;
}

export function formatTable(results: readonly Result[]): string {
  const head = ['broker', 'mode', 'published', 'handled (distinct)', 'lost', 'duplicate deliveries', 'duplicate effects', 'longest stall', 'run', 'recovery after each fault'];
  const rows = results.map((r) => [
    r.broker,
    r.mode,
    String(r.published),
    String(r.handled),
    String(r.lost),
    String(r.duplicateDeliveries),
    duplicateEffects(r),
    seconds(r.longestStallMs),
    seconds(r.durationMs),
    recoveries(r),
  ]);
  const table = [head, head.map(() => '---'), ...rows];
  return table.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

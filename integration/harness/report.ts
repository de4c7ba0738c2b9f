import { formatMs } from './log.ts';
import type { BrokerReport } from './types.ts';

/** One line per broker: where it is, where it came from, how long fetching and starting took. */
export function formatReports(reports: BrokerReport[]): string {
  return reports
    .map((r) => {
      const fetch = r.provisionMs > 0 ? `, jars fetched in ${formatMs(r.provisionMs)}` : '';
      const version = r.version ? `, Kafka ${r.version}${r.versionAsked ? ` (NOT the ${r.versionAsked} asked for)` : ''}` : '';
      return `  ${r.broker.padEnd(8)} ${r.address.padEnd(34)} ${r.source.padEnd(13)} ready in ${formatMs(r.startMs)}${fetch}${version}`;
    })
    .join('\n');
}

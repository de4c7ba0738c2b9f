import type { BrokerEndpoints, BrokerName } from './types.ts';

/**
 * The URL an application, `pnpm demo` or the `ferry` CLI takes for each broker the harness runs,
 * as `pnpm brokers start` prints them (`FERRY_URL=...` lines) and the README shows them.
 */
export function ferryUrls(endpoints: BrokerEndpoints): Record<BrokerName, string> {
  const { sqs } = endpoints;
  return {
    kafka: `kafka://${endpoints.kafka.brokers[0]}${endpoints.kafka.brokers.length > 1 ? `?brokers=${endpoints.kafka.brokers.slice(1).join(',')}` : ''}`,
    rabbitmq: endpoints.amqp.url,
    sqs: `sqs://${encodeURIComponent(sqs.accessKeyId)}:${encodeURIComponent(sqs.secretAccessKey)}@${sqs.region}?endpoint=${sqs.endpoint}`,
  };
}

/** `FERRY_URL=<url>`, quoted when the shell would otherwise read `?` or `&`. */
export function ferryUrlLine(url: string): string {
  return /[?&*]/.test(url) ? `FERRY_URL='${url}'` : `FERRY_URL=${url}`;
}

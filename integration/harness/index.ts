/** Public API of the real-broker harness (see docs/testing.md). */
export { ensureBrokers, provisionBrokers, type Provisioned } from './ensure.ts';
export { endpointsFromEnv, endpointsToEnv, ENV } from './env.ts';
export { uniqueName } from './names.ts';
export { ferryUrls, ferryUrlLine } from './ferry-urls.ts';
export { startTcpProxy, type TcpProxy, type TcpProxyOptions } from './tcp-proxy.ts';
export { stopLocalBrokers, brokerStatus, type BrokerStatus } from './local-control.ts';
export type { BrokerEndpoints, BrokerName, BrokerReport, BrokerSource, ProvisionResult } from './types.ts';
export { message, spec, subscribe } from './spi-fixtures.ts';
// Polls a condition and names what it waited for on timeout: testkit's, shared by the brokers' tests.
export { waitFor } from '@ferry/testkit';
export { storesFromEnv, provisionStores, STORE_ENV, type StoreEndpoints, type StoreName } from './stores.ts';
export { ensureTestCertificates, certificatesUnavailable, type TestCertificates } from './tls-certs.ts';
export { provideSecureKafka, type SecureKafka } from './secure-kafka.ts';
export { startTlsRabbitmq, rabbitmqServerScript, type TlsRabbitmq } from './rabbitmq-tls.ts';

export { runConformanceSuite, caseGroups } from './suite.ts';
export type { ConformanceOptions, ConnectionFault, Endpoint, StoreFactory } from './options.ts';
export type { ConformanceCase, CaseGroup, CaseGroupFactory } from './case.ts';
export { CaseEnv, type SuiteInfo, type RetryInput } from './env.ts';
export { startTcpProxy, startUrlProxy, type TcpProxy, type TcpProxyOptions, type UrlProxy } from './tcp-proxy.ts';
export { Collector, type Received } from './collector.ts';
export { InstrumentedTransport, type InstrumentOptions } from './instrument.ts';
export { waitFor, sleep } from './wait.ts';
export { runStoreContract, type StoreContractOptions } from './store-contract.ts';

// The fault proxy lives in @ferry/testkit (the conformance suite's reconnect case uses it too);
// real-broker tests import it from the harness as well.
export { startTcpProxy, type TcpProxy, type TcpProxyOptions } from '@ferry/testkit';

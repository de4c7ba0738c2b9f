// The conformance suite on the in-process transport. All cases share one memory broker
// ("conformance"): every case uses topics and groups unique to it, as on a real broker.
import { createTransport } from '@ferry/memory';
import { runConformanceSuite } from './index.ts';

runConformanceSuite({
  name: 'memory',
  createTransport: () => createTransport(new URL('memory://conformance'), {}),
});

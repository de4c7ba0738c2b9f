// Test helper (not exported from the package): a MessageContext with no transport behind it, for
// unit tests of single middleware.
import type { MessageContext } from './types.ts';

export function fakeContext(overrides: Partial<MessageContext> & { type?: string; id?: string; payloadBytes?: Uint8Array } = {}): MessageContext & { commits: Array<() => Promise<void>> } {
  const commits: Array<() => Promise<void>> = [];
  const { type = 'test.message', id = 'id-1', payloadBytes = new TextEncoder().encode('{}'), ...rest } = overrides;
  return {
    envelope: { id, type, topic: 'test', headers: {}, payload: payloadBytes, timestamp: 0 },
    attempt: 1,
    coordinates: {},
    group: 'g',
    transport: 'none',
    signal: new AbortController().signal,
    payload: undefined,
    definition: undefined,
    outcome: undefined,
    publish: async () => undefined,
    onCommit: (fn) => commits.push(fn),
    commits,
    ...rest,
  };
}

import { describe, expect, it } from 'vitest';
import { classifyConnectFailure } from '@ferry/core/spi';
import { isConnectionLoss } from './connection-manager.ts';

describe('classifyConnectFailure on amqplib errors', () => {
  it("is auth for amqplib's handshake refusal, which retrying cannot fix", () => {
    const amqplib = new Error(
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN."',
    );
    expect(classifyConnectFailure(amqplib)).toBe('auth');
  });

  it('is connection for a refused socket whose port contains 403 (a broker that may come back)', () => {
    // A CI run failed on this: the testkit proxy had listened on port 40357.
    expect(classifyConnectFailure(new Error('connect ECONNREFUSED 127.0.0.1:40357'))).toBe('connection');
    expect(classifyConnectFailure(new Error('connect ECONNREFUSED 127.0.0.1:14030'))).toBe('connection');
  });
});

describe('isConnectionLoss', () => {
  it('is true for a closed connection or channel, false for a protocol refusal', () => {
    expect(isConnectionLoss(new Error('Connection closed: 320 (CONNECTION-FORCED)'))).toBe(true);
    expect(isConnectionLoss(new Error('Channel ended, no reply will be forthcoming'))).toBe(true);
    expect(isConnectionLoss(new Error('read ECONNRESET'))).toBe(true);
    expect(isConnectionLoss(new Error('Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED)'))).toBe(false);
  });
});

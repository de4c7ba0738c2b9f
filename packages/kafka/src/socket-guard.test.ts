import net from 'node:net';
import { expect, it } from 'vitest';
import { guardDataListeners } from './driver.ts';

// A throw in a 'data' listener (kafkajs decoding a frame cut mid-way) must become a socket error
// that kafkajs handles as a lost connection, not an uncaught exception.
it('turns a throwing data listener into a socket error', async () => {
  const server = net.createServer((peer) => peer.end(Buffer.from([0, 0, 0, 1, 7])));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const socket = net.connect({ host: '127.0.0.1', port });
  guardDataListeners(socket);
  socket.on('data', () => {
    throw new RangeError('Attempt to access memory outside buffer bounds');
  });
  const error = await new Promise<Error>((resolve) => socket.on('error', resolve));
  expect(error).toBeInstanceOf(RangeError);
  expect(socket.destroyed).toBe(true);
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

import type { ChannelModel } from 'amqplib';

interface MuxLike {
  _readIncoming: () => void;
  out: { cork?: () => void; uncork?: () => void };
}

/**
 * amqplib's muxer writes every frame to the socket with its own write() call: with many small
 * frames (a publish is 2-3 frames, an ack one) that is a syscall per frame, and CPU the broker on
 * the same machine then lacks. Corking the socket for one pass of the muxer turns a pass into one
 * writev. Relies on amqplib 0.10 internals (`connection.muxer._readIncoming`); if they are not
 * there, nothing changes.
 */
export function batchSocketWrites(model: ChannelModel): void {
  const muxer = (model.connection as unknown as { muxer?: MuxLike }).muxer;
  const out = muxer?.out;
  if (!muxer || typeof muxer._readIncoming !== 'function' || typeof out?.cork !== 'function' || typeof out.uncork !== 'function') return;
  const readIncoming = muxer._readIncoming.bind(muxer);
  muxer._readIncoming = () => {
    out.cork!();
    try {
      readIncoming();
    } finally {
      out.uncork!();
    }
  };
}

/**
 * Two connected in-memory Duplex streams: bytes written to one are read from the other — a
 * null-modem cable in memory (Node 20 has no `stream.duplexPair`). Used to serve the firmware to
 * an in-process host in tests, with fault transforms spliced in when wanted.
 */
import { Duplex } from 'node:stream';

class End extends Duplex {
  peer: End | undefined;

  override _read(): void {
    // Data is pushed by the peer's writes; nothing to pull.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    // Asynchronous delivery, like a real link: a reply never arrives inside the write call.
    const peer = this.peer;
    setImmediate(() => {
      if (peer && !peer.destroyed) peer.push(chunk);
      done();
    });
  }

  override _final(done: (e?: Error | null) => void): void {
    const peer = this.peer;
    setImmediate(() => {
      if (peer && !peer.destroyed) peer.push(null);
      done();
    });
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = undefined;
    // A cable pulled at one end is pulled at both.
    if (peer && !peer.destroyed) setImmediate(() => peer.destroy());
    done(err);
  }
}

/** A connected pair `[a, b]`: what is written to `a` is read from `b`, and back. */
export function duplexPair(): [Duplex, Duplex] {
  const a = new End();
  const b = new End();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

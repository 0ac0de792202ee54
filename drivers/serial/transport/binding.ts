/**
 * The serialport binding type, taken through @serialport/stream: the types of
 * @serialport/bindings-interface do not resolve under NodeNext (its package exports hide them).
 *
 * `bindingOf()` also repairs the OS binding's full-duplex polling (see `fullDuplexPolling`).
 */
import type { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';

/** A serialport binding: the OS one, MockBinding, or a test pair. */
export type Binding = SerialPortStream['settings']['binding'];

/** What `Binding.list()` reports per port. */
export type PortInfo = Awaited<ReturnType<Binding['list']>>[number];

/** Event flags of @serialport/bindings-cpp's Poller (libuv's UV_READABLE, UV_WRITABLE, UV_DISCONNECT). */
const POLL_EVENTS = { readable: 1, writable: 2, disconnect: 4 } as const;

/** The part of bindings-cpp's Poller (an EventEmitter around a native uv_poll_t) we rely on. */
interface PollerLike {
  poll(flags?: number): void;
  listenerCount(event: string): number;
}

function isPollerLike(p: unknown): p is PollerLike {
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof (p as PollerLike).poll === 'function' &&
    typeof (p as PollerLike).listenerCount === 'function'
  );
}

const repaired = new WeakSet<object>();

/**
 * Make a bindings-cpp port wait for reading and writing at the same time.
 *
 * The unix bindings wait for `EAGAIN` to clear with one native Poller per port: a read waits
 * with `poller.once('readable')`, a write with `poller.once('writable')`. The native
 * `Poller::poll(events)` (bindings-cpp 13.0.0, the version installed here) calls
 * `uv_poll_start(handle, events)` with the events of *this* call only, and `uv_poll_start`
 * replaces the watched set: a read that starts
 * waiting while a write waits (or the reverse) silently cancels the other's wait. The
 * cancelled side then hangs until the remaining event happens to fire. When both ends of the
 * link stream at once that may be never — on a pty, socat blocks in `write()` towards the end
 * that stopped watching for input, so it no longer reads that end's output either, and both
 * processes wait for each other forever: the host's write callback never comes, the board
 * never reads the rest of the request.
 *
 * The repair: every `poll()` asks for its own event plus every event someone still waits for
 * (a `once` listener not yet called). Bindings without a Poller (MockBinding, Windows) are left
 * as they are.
 */
export function fullDuplexPolling(port: unknown): void {
  const poller = (port as { poller?: unknown } | null)?.poller;
  if (!isPollerLike(poller) || repaired.has(poller)) return;
  repaired.add(poller);
  const poll = poller.poll.bind(poller);
  poller.poll = (flags = 0) => {
    let all = flags;
    for (const [event, flag] of Object.entries(POLL_EVENTS))
      if (poller.listenerCount(event) > 0) all |= flag;
    poll(all);
  };
}

const wrapped = new WeakMap<Binding, Binding>();

/** `binding` with `fullDuplexPolling` applied to every port it opens. */
export function withFullDuplexPolling(binding: Binding): Binding {
  let w = wrapped.get(binding);
  if (!w) {
    w = {
      list: () => binding.list(),
      async open(options) {
        const port = await binding.open(options);
        fullDuplexPolling(port);
        return port;
      },
    };
    wrapped.set(binding, w);
  }
  return w;
}

/** The binding in force — the given one, or the OS binding serialport detected — repaired. */
export function bindingOf(binding?: Binding): Binding {
  return withFullDuplexPolling(binding ?? SerialPort.binding);
}

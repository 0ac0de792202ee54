/**
 * A token bucket that moves bytes from a queue to a sink no faster than a serial link would:
 * 8N1 framing puts 10 bits on the wire per byte, so a link of B baud carries B/10 bytes/s. The
 * firmware emulator puts one on each direction of its link when given a baud rate; that is what
 * makes a throughput measured through it link-limited, as on a bench.
 */

/** Bytes per second of an 8N1 link at `baud` (start + 8 data + stop bits). */
export function bytesPerSecond(baud: number): number {
  return baud / 10;
}

/** Where throttled bytes go; a returned promise holds the pump until it settles (backpressure). */
export type ByteSink = (chunk: Buffer) => void | Promise<void>;

export class ByteThrottle {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private tokens: number;
  private last = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private closed = false;

  /**
   * @param rate bytes per second.
   * @param sink receives the bytes in order, in pieces of any size.
   * @param burstBytes bucket size: most bytes sent at once after an idle spell. Default 10 ms of
   *   traffic (at least 64 bytes) — large enough that a timer firing a few ms late costs no
   *   throughput, small enough that pacing is smooth at the scale of a line.
   */
  constructor(
    readonly rate: number,
    private readonly sink: ByteSink,
    private readonly burstBytes = Math.max(64, rate * 0.01),
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`bad byte rate ${rate}`);
    this.tokens = this.burstBytes;
  }

  /** Bytes queued and not yet handed to the sink. */
  get pending(): number {
    return this.queued;
  }

  /** Queue bytes for the sink. */
  push(chunk: Buffer): void {
    if (this.closed || chunk.length === 0) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.kick();
  }

  /** Drop everything queued (a cable pulled: bytes in the wire are lost). */
  clear(): void {
    this.queue.length = 0;
    this.queued = 0;
  }

  /** Stop for good; queued bytes are dropped. */
  close(): void {
    this.closed = true;
    this.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burstBytes, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  private kick(): void {
    if (this.pumping || this.timer || this.closed) return;
    void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queued > 0 && !this.closed) {
        this.refill();
        const grant = Math.floor(this.tokens);
        if (grant < 1) {
          // Wait for enough tokens for a useful piece, not for a single byte.
          const want = Math.min(this.queued, Math.max(1, this.burstBytes / 4));
          const ms = ((want - this.tokens) / this.rate) * 1000;
          this.timer = setTimeout(
            () => {
              this.timer = undefined;
              this.kick();
            },
            Math.max(1, ms),
          );
          return;
        }
        const head = this.queue[0]!;
        const n = Math.min(grant, head.length);
        const piece = head.subarray(0, n);
        if (n === head.length) this.queue.shift();
        else this.queue[0] = head.subarray(n);
        this.queued -= n;
        this.tokens -= n;
        const wait = this.sink(piece);
        if (wait) await wait;
      }
    } finally {
      this.pumping = false;
    }
  }
}

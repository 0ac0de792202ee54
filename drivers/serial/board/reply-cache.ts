/**
 * The board's reply cache (docs/protocol.md §5.4): the replies to the last N requests of a
 * session, keyed by seq, with the request line they answered. A retry (same seq, same line) is
 * answered from here without running again, which is what makes a retried PULSE safe.
 */

/** One remembered exchange. */
export interface CachedReply {
  /** The request line as received (terminator removed). */
  line: string;
  /** The full reply line sent, terminator included. */
  reply: string;
}

/** Replies remembered per session (§5.4). */
export const REPLY_CACHE_SIZE = 256;

export class ReplyCache {
  private readonly entries = new Map<number, CachedReply>();

  /** @param capacity most replies kept; the oldest is forgotten first. Default 256. */
  constructor(readonly capacity = REPLY_CACHE_SIZE) {}

  get size(): number {
    return this.entries.size;
  }

  get(seq: number): CachedReply | undefined {
    return this.entries.get(seq);
  }

  has(seq: number): boolean {
    return this.entries.has(seq);
  }

  /** Remember a reply; a seq seen again moves to the newest position. */
  set(seq: number, entry: CachedReply): void {
    this.entries.delete(seq);
    this.entries.set(seq, entry);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as number;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

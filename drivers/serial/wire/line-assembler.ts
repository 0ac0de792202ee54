/**
 * Board-side line assembly (docs/protocol.md §2.1, §2.6): bytes in, complete lines out. Accepts
 * `\n`, `\r\n` or a lone `\r` as an end of line and ignores empty lines (so `\r\n` is one end of
 * line, not two). Like LineGuard on the host side it never buffers more than one maximal line:
 * bytes beyond the limit are discarded up to the next terminator and the line is reported as
 * `long` once.
 */
import { MAX_LINE_BYTES } from './codec.ts';

/** What the assembler hands on: a line's text (latin1, terminator removed), or a cut line. */
export type AssembledLine = { line: string } | { long: true };

const LF = 0x0a;
const CR = 0x0d;

export class LineAssembler {
  private parts: Buffer[] = [];
  private length = 0;
  private discarding = false;

  /**
   * @param onLine called once per non-empty line, in order.
   * @param maxLineBytes longest line accepted, terminator included (bytes). Default 16,384.
   */
  constructor(
    private readonly onLine: (line: AssembledLine) => void,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {}

  /** Feed received bytes. */
  push(chunk: Buffer): void {
    // Content may be at most max − 1 bytes: the terminator takes the last one.
    const maxContent = this.maxLineBytes - 1;
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b !== LF && b !== CR) continue;
      this.take(chunk.subarray(start, i), maxContent);
      this.end();
      start = i + 1;
    }
    this.take(chunk.subarray(start), maxContent);
  }

  /** Forget a partial line (a new stream attached: its first bytes start a new line). */
  clear(): void {
    this.parts = [];
    this.length = 0;
    this.discarding = false;
  }

  private take(bytes: Buffer, maxContent: number): void {
    if (bytes.length === 0 || this.discarding) return;
    if (this.length + bytes.length > maxContent) {
      // Too long: drop what we hold and everything up to the next terminator.
      this.parts = [];
      this.length = 0;
      this.discarding = true;
      this.onLine({ long: true });
      return;
    }
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  private end(): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    if (this.length === 0) return;
    const line = Buffer.concat(this.parts, this.length).toString('latin1');
    this.parts = [];
    this.length = 0;
    this.onLine({ line });
  }
}

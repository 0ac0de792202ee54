/**
 * Bounds line length in front of a line parser. @serialport/parser-readline buffers until it
 * sees a delimiter, without limit, so a board (or noise) that never sends a newline would grow
 * it forever. The guard passes bytes through, and when a line exceeds the maximum it ends it
 * early with a newline (the parser then emits a fragment that fails its CRC and is dropped) and
 * discards the rest of it up to the next newline. §2.6
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { ReadlineParser } from '@serialport/parser-readline';
import { MAX_LINE_BYTES } from './codec.ts';

export class LineGuard extends Transform {
  /** Lines cut because they exceeded the maximum. */
  longLines = 0;
  private lineBytes = 0;
  private discarding = false;

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    const out: Buffer[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === 0x0a) {
        if (!this.discarding) out.push(chunk.subarray(start, i + 1));
        this.discarding = false;
        this.lineBytes = 0;
        start = i + 1;
        continue;
      }
      if (this.discarding) {
        start = i + 1;
        continue;
      }
      if (++this.lineBytes >= this.maxLineBytes) {
        out.push(chunk.subarray(start, i), Buffer.from('\n'));
        this.longLines++;
        this.discarding = true;
        start = i + 1;
      }
    }
    if (!this.discarding && start < chunk.length) out.push(chunk.subarray(start));
    done(null, out.length ? Buffer.concat(out) : undefined);
  }
}

/**
 * Pipe `source` through a new LineGuard into a readline parser that emits each line without its
 * `\n` (a `\r` before it is kept). latin1 maps every byte to one char, so a byte outside ASCII
 * stays visible to the charset check (§1.2).
 */
export function guardedLines(source: Readable): { guard: LineGuard; parser: ReadlineParser } {
  const guard = new LineGuard();
  const parser = new ReadlineParser({ delimiter: '\n', encoding: 'latin1' });
  source.pipe(guard).pipe(parser);
  return { guard, parser };
}

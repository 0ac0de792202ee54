/**
 * Test harness for the board side: a host end of an in-memory link that sends request lines and
 * collects reply lines, and data-driven exchanges in the manner of PyMeasure's
 * `expected_protocol`: a list of (request line, expected replies) pairs, every reply checked
 * (CRC included) and every one consumed.
 */
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { encodeRequest, parseReply } from '../../../drivers/serial/wire/codec.ts';

/** A request line with seq and CRC, without terminator. */
export function req(seq: number, verb: string, ...args: (string | number)[]): string {
  return encodeRequest(seq, verb, args).slice(0, -1);
}

/** What a reply must be: its body (the line before `*CRC`) exactly, or matching a pattern. */
export type Expect = string | RegExp;

/** One step: a line to send (null: send nothing) and the replies it must produce, in order. */
export type Step = [send: string | Buffer | null, expect: Expect | readonly Expect[] | null];

export class HostEnd {
  private buffered = '';
  private readonly lines: string[] = [];
  private waiting: (() => void) | undefined;
  /** Every line received, in order. */
  readonly log: string[] = [];

  constructor(readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('latin1');
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl).replace(/\r$/, '');
        this.buffered = this.buffered.slice(nl + 1);
        this.lines.push(line);
        this.log.push(line);
      }
      this.waiting?.();
    });
  }

  /** Send a line (a terminator is added to strings) or raw bytes. */
  send(line: string | Buffer): void {
    this.stream.write(typeof line === 'string' ? `${line}\n` : line);
  }

  /** The next line received (raw, terminator removed). */
  async next(timeoutMs = 2000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiting = undefined;
    }
    return this.lines.shift()!;
  }

  /** The body (before `*CRC`) of the next line, which must have a valid CRC. */
  async nextBody(timeoutMs = 2000): Promise<string> {
    const line = await this.next(timeoutMs);
    const parsed = parseReply(line);
    if (typeof parsed === 'string') assert.fail(`bad reply line (${parsed}): ${line}`);
    return line.slice(0, line.lastIndexOf('*'));
  }

  /** Assert that nothing arrives for `ms`. */
  async quiet(ms = 40): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    assert.deepEqual(this.lines, [], 'unexpected lines');
  }

  /** Drop what was received and not consumed. */
  clear(): void {
    this.lines.length = 0;
  }
}

/** Run steps in order; every expected reply must arrive, and nothing else. */
export async function expectExchanges(host: HostEnd, steps: readonly Step[]): Promise<void> {
  for (const [i, [send, expect]] of steps.entries()) {
    if (send !== null) host.send(send);
    const wanted = expect === null ? [] : Array.isArray(expect) ? expect : [expect];
    for (const w of wanted as Expect[]) {
      const body = await host.nextBody();
      const label = `step ${i} (${send === null ? 'nothing sent' : String(send).slice(0, 60)})`;
      if (typeof w === 'string') assert.equal(body, w, label);
      else assert.match(body, w, label);
    }
    if (expect === null) await host.quiet(20);
  }
  await host.quiet(20);
}

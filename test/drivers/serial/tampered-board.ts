/**
 * Deliberately broken boards for the conformance suite's tests: the reference firmware behind a
 * man in the middle that rewrites lines in either direction. Host → board segments are split at
 * `\r` and `\n` alike (so a lone-CR line still goes through at once); board → host lines at `\n`.
 * A rewrite sees a line without its terminator and returns its replacement (null: drop it).
 */
import type { Duplex } from 'node:stream';
import type { EmulatorDriver } from '../../../drivers/emulator/emulator-driver.ts';
import { parseReply, parseRequest, withCrc } from '../../../drivers/serial/wire/codec.ts';
import { duplexPair } from '../../../drivers/serial/transport/duplex-pair.ts';
import { Firmware } from '../../../drivers/serial/board/firmware.ts';

/** Line rewrites of a tampered board. */
export interface Tamper {
  /** A request line on its way to the firmware. */
  toBoard?(line: string): string | null;
  /** A reply or event line on its way to the host (`\r\n` removed, added back). */
  toHost?(line: string): string | null;
}

/** A firmware behind a tamper: `host` is the stream the suite talks to. */
export interface TamperedBoard {
  host: Duplex;
  firmware: Firmware;
  close(): Promise<void>;
}

/**
 * Serve `chip`'s firmware behind `tamper`. The host end is a new in-memory stream, or `wire` when
 * given (e.g. the board end of a pty pair, for a host in another process).
 */
export function tamperedBoard(chip: EmulatorDriver, tamper: Tamper, wire?: Duplex): TamperedBoard {
  const [host, hostFar] = wire ? [wire, wire] : duplexPair();
  const [boardNear, board] = duplexPair();
  const firmware = new Firmware(chip, {}, board);
  let up = '';
  hostFar.on('data', (chunk: Buffer) => {
    up += chunk.toString('latin1');
    let i: number;
    while ((i = up.search(/[\r\n]/)) >= 0) {
      const line = up.slice(0, i);
      const end = up[i]!;
      up = up.slice(i + 1);
      const out = line === '' || !tamper.toBoard ? line : tamper.toBoard(line);
      if (out !== null) boardNear.write(Buffer.from(out + end, 'latin1'));
    }
  });
  let down = '';
  boardNear.on('data', (chunk: Buffer) => {
    down += chunk.toString('latin1');
    let i: number;
    while ((i = down.indexOf('\n')) >= 0) {
      const line = down.slice(0, i).replace(/\r$/, '');
      down = down.slice(i + 1);
      const out = tamper.toHost ? tamper.toHost(line) : line;
      if (out !== null) hostFar.write(Buffer.from(`${out}\r\n`, 'latin1'));
    }
  });
  return {
    host,
    firmware,
    async close() {
      await firmware.close();
      host.destroy();
      board.destroy();
    },
  };
}

/** (a) A board that sends no CRCs. */
export function omitsCrcs(): Tamper {
  return { toHost: (line) => line.replace(/\*[0-9A-F]{4}$/, '') };
}

/** (c) A board that reports protocol version 2. */
export function speaksProtocol2(): Tamper {
  const prot = new Set<number | '-'>();
  return {
    toBoard(line) {
      const r = parseRequest(line);
      if (typeof r !== 'string' && r.verb === 'PROT?') prot.add(r.seq ?? '-');
      return line;
    },
    toHost(line) {
      const r = parseReply(line);
      if (typeof r === 'string' || r.kind !== 'ok' || !prot.has(r.seq)) return line;
      prot.delete(r.seq);
      return withCrc(`${r.seq} OK 2`);
    },
  };
}

/**
 * (b) A board without a reply cache for chip verbs: a repeat of a request it already answered
 * runs again. Done by passing the repeat on as terminal input (no seq, so no cache, and the
 * session's ordering is untouched) and giving its `-` reply the original seq back.
 */
export function ignoresReplyCache(): Tamper {
  const seen = new Set<string>();
  const owed: number[] = [];
  const outOfBand = new Set([
    'SESS',
    '*IDN?',
    'PROT?',
    'LIM?',
    'SYST:ERR?',
    'LINK?',
    'IDLE',
    'ABORT',
  ]);
  return {
    toBoard(line) {
      const r = parseRequest(line);
      if (typeof r === 'string' || r.seq === undefined || outOfBand.has(r.verb)) return line;
      if (!seen.has(line)) {
        seen.add(line);
        return line;
      }
      owed.push(r.seq);
      return `${r.verb}${r.args.length ? ` ${r.args.join(' ')}` : ''}`;
    },
    toHost(line) {
      const r = parseReply(line);
      if (typeof r === 'string' || r.kind === 'event' || r.seq !== '-' || owed.length === 0)
        return line;
      const seq = owed.shift()!;
      const body = line.slice(0, line.lastIndexOf('*')).replace(/^- /, `${seq} `);
      return withCrc(body);
    },
  };
}

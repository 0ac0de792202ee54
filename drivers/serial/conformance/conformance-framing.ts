/**
 * Conformance checks of line framing and error codes (docs/protocol.md §1–§3): line endings,
 * terminal input, CRCs, bad and overlong lines, the reply and event formats, and one check per
 * error code a host can provoke safely. The checks over "every line the board sent" run last,
 * over the whole session (FRAMING_AGGREGATES).
 */
import { MAX_LINE_BYTES, crcHex, withCrc } from '../wire/codec.ts';
import {
  expect,
  expectErr,
  fail,
  okValue,
  shown,
  skip,
  type ConformanceCheck,
  type ConformanceContext,
} from './conformance-context.ts';
import { seqOf } from './conformance-wire.ts';

/** The §3 codes. */
export const ERROR_CODES = new Set([100, 102, 110, 111, 200, 201, 300, 400, 500]);

/** A request line with seq and CRC but the given terminator. */
function framed(seq: number, verb: string, end: string): string {
  return `${withCrc(`${seq} ${verb}`)}${end}`;
}

/** How many replies with `seq` arrived since line `from`. */
function repliesWith(ctx: ConformanceContext, seq: number | '-', from: number): number {
  return ctx.wire.lines.slice(from).filter((l) => seqOf(l) === seq).length;
}

/** `<seq> *IDN? XXX…*CRC\n`, padded to `bytes` bytes, terminator included (§2.6). */
function paddedIdn(seq: number, bytes: number): string {
  const prefix = `${seq} *IDN? `;
  return `${withCrc(prefix + 'X'.repeat(bytes - 1 - prefix.length - 5))}\n`;
}

export const FRAMING_CHECKS: readonly ConformanceCheck[] = [
  {
    clause: '§2.1',
    title: 'a request ended by CR LF is answered once, the CR LF counted as one end of line',
    changesState: false,
    async run(ctx) {
      const seq = ctx.oobSeq();
      const from = ctx.wire.mark();
      const before = await ctx.link();
      okValue(await ctx.exchange(framed(seq, '*IDN?', '\r\n')), '*IDN? ended by CR LF');
      const after = await ctx.link();
      expect(
        repliesWith(ctx, seq, from) === 1,
        `*IDN? ended by CR LF was answered ${repliesWith(ctx, seq, from)} times`,
      );
      expect(
        after.bad === before.bad,
        `the CR LF made LINK? bad= grow by ${after.bad - before.bad}`,
      );
      return 'answered once; no bad line counted';
    },
  },
  {
    clause: '§2.1',
    title: "a request ended by a lone CR (a terminal's Enter) is answered",
    changesState: false,
    async run(ctx) {
      const seq = ctx.oobSeq();
      try {
        okValue(await ctx.exchange(framed(seq, '*IDN?', '\r')), '*IDN? ended by a lone CR');
      } finally {
        // A board that waits for LF holds the line: end it so the next check starts clean.
        await ctx.wire.send('\n');
      }
      return 'answered';
    },
  },
  {
    clause: '§2.1',
    title: 'empty lines are ignored: no reply, nothing counted as bad',
    changesState: false,
    async run(ctx) {
      const before = await ctx.link();
      const from = ctx.wire.mark();
      await ctx.wire.send('\n\r\n\r\r\n\n');
      const after = await ctx.link();
      const stray = ctx.wire.lines.slice(from).filter((l) => seqOf(l) === '-');
      expect(stray.length === 0, `empty lines were answered: ${shown(stray[0]?.raw ?? '')}`);
      expect(
        after.bad === before.bad,
        `empty lines made LINK? bad= grow by ${after.bad - before.bad}`,
      );
      return 'five empty lines, no reply, bad= unchanged';
    },
  },
  {
    clause: '§2.2',
    title: 'a seq above 65535 is invalid framing: dropped without a reply',
    changesState: false,
    async run(ctx) {
      await ctx.expectDropped(`${withCrc('65536 *IDN?')}\n`, 65536, '"65536 *IDN?"');
      return 'dropped and counted';
    },
  },
  {
    clause: '§2.3',
    title: '*IDN? typed without seq and CRC is answered with seq -',
    changesState: false,
    async run(ctx) {
      const reply = await ctx.exchange('*IDN?\n');
      const v = okValue(reply, '*IDN? typed at a terminal');
      expect(v.startsWith('RRAM-BENCH,'), `*IDN? typed at a terminal answered ${shown(v)}`);
      return `- OK ${v}`;
    },
  },
  {
    clause: '§2.3',
    title: 'READ typed without seq and CRC is answered with seq -',
    changesState: false,
    async run(ctx) {
      const v = okValue(
        await ctx.exchange('READ 0 0 1 1 1\n'),
        'READ 0 0 1 1 1 typed at a terminal',
      );
      expect(
        /^\S+ [A-Za-z0-9+/]{6}==$/.test(v),
        `READ typed at a terminal answered ${shown(v)}, not <time> <one f32>`,
      );
      return `- OK ${v}`;
    },
  },
  {
    clause: '§2.3',
    title: 'a line with a seq but no CRC is dropped without a reply',
    changesState: false,
    async run(ctx) {
      const seq = ctx.oobSeq();
      await ctx.expectDropped(`${seq} *IDN?\n`, seq, `"${seq} *IDN?" (no CRC)`);
      return 'dropped and counted';
    },
  },
  {
    clause: '§2.5',
    title: 'a line whose CRC does not match is dropped without a reply, counted in bad= and crc=',
    changesState: false,
    async run(ctx) {
      const seq = ctx.oobSeq();
      const body = `${seq} *IDN?`;
      const wrong = ((parseInt(crcHex(body), 16) ^ 0x0101) & 0xffff)
        .toString(16)
        .toUpperCase()
        .padStart(4, '0');
      const delta = await ctx.expectDropped(
        `${body}*${wrong}\n`,
        seq,
        `"${body}*${wrong}" (wrong CRC)`,
      );
      expect(delta.crc === 1, `a wrong CRC made LINK? crc= grow by ${delta.crc}, expected 1`);
      return 'dropped; bad= and crc= grew by 1';
    },
  },
  {
    clause: '§2.5',
    title: 'a garbage line is dropped without a reply and counted',
    changesState: false,
    async run(ctx) {
      await ctx.expectDropped('}{#&%garbage ~~ 12 *&%$#{}\n', '-', 'a garbage line');
      return 'dropped; bad= grew by 1';
    },
  },
  {
    clause: '§2.5',
    title:
      'a line with a byte outside printable ASCII (§1.2) is dropped without a reply and counted',
    changesState: false,
    async run(ctx) {
      const seq = ctx.oobSeq();
      // Valid in every other respect, CRC included: only the 0xB5 byte makes it bad.
      const line = `${withCrc(`${seq} *IDN? \xb5`)}\n`;
      await ctx.expectDropped(line, seq, `"${seq} *IDN? <0xB5>"`);
      return 'dropped; bad= grew by 1';
    },
  },
  {
    clause: '§2.6',
    title: 'a line of exactly 16,384 bytes (terminator included) is accepted',
    changesState: false,
    async run(ctx) {
      const seq = ctx.oobSeq();
      const line = paddedIdn(seq, MAX_LINE_BYTES);
      if (line.length !== MAX_LINE_BYTES) fail(`internal: built a ${line.length}-byte line`);
      // *IDN? with an argument: ERR 111 is the expected answer; any answer shows it was read.
      const reply = await ctx.exchange(line);
      return `answered ${reply.kind === 'err' ? `ERR ${reply.code}` : reply.kind.toUpperCase()}`;
    },
  },
  {
    clause: '§2.6',
    title: 'a longer line is dropped without a reply, counted in long=, and the link resyncs',
    changesState: false,
    async run(ctx) {
      const seq = ctx.oobSeq();
      const line = paddedIdn(seq, MAX_LINE_BYTES + 1); // one byte over the maximum
      const delta = await ctx.expectDropped(line, seq, `a ${line.length}-byte line`);
      expect(
        delta.long === 1,
        `the overlong line made LINK? long= grow by ${delta.long}, expected 1`,
      );
      okValue(await ctx.ask('*IDN?'), '*IDN? after the overlong line');
      return `${line.length} bytes dropped, long= grew by 1, the next line was answered`;
    },
  },
  {
    clause: '§2.6',
    title: 'a request whose reply would exceed a line is answered ERR 102',
    changesState: false,
    async run(ctx) {
      const info = ctx.requireInfo();
      // The whole array as float32 in base64: the largest READ there is.
      const chars = 4 * Math.ceil((info.rows * info.cols * 4) / 3);
      if (chars < MAX_LINE_BYTES)
        skip(`a READ of the whole ${info.rows}x${info.cols} array fits one line`);
      const s = await ctx.session();
      return expectErr(
        await s.request('READ', [0, 0, info.rows, info.cols, 1]),
        102,
        'READ of the whole array',
      );
    },
  },
  {
    clause: '§3',
    title: 'an unknown verb is answered ERR 110',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session();
      return expectErr(await s.request('FROB'), 110, 'FROB');
    },
  },
  {
    clause: '§3',
    title: 'a wrong argument count, or a word where a number is needed, is answered ERR 111',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session();
      const a = expectErr(await s.request('READ', [0, 0, 1]), 111, 'READ 0 0 1');
      expectErr(await s.request('READ', ['x', 0, 1, 1, 1]), 111, 'READ x 0 1 1 1');
      return a;
    },
  },
  {
    clause: '§3',
    title: 'a malformed argument (not key=value) is answered ERR 111',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session();
      return expectErr(await s.request('CONF', ['nonsense']), 111, 'CONF nonsense');
    },
  },
  {
    clause: '§3',
    title: 'a value outside the safe operating area is answered ERR 200',
    changesState: false,
    async run(ctx) {
      const info = ctx.requireInfo();
      const below = info.limits.readV.min / 2;
      if (!(below < info.limits.readV.min))
        skip('the read-voltage minimum is 0: nothing is below it');
      const s = await ctx.session();
      ctx.confChanged = true; // in case the board takes it after all
      return expectErr(await s.request('CONF', [`vref=${below}`]), 200, `CONF vref=${below}`);
    },
  },
  {
    clause: '§3',
    title: 'an address outside the array is answered ERR 201',
    changesState: false,
    async run(ctx) {
      const info = ctx.requireInfo();
      const s = await ctx.session();
      return expectErr(
        await s.request('READ', [info.rows, 0, 1, 1, 1]),
        201,
        `READ ${info.rows} 0 1 1 1`,
      );
    },
  },
  {
    clause: '§3',
    title: 'every ERR is queued for SYST:ERR?, oldest first, then 0,"No error"',
    changesState: false,
    async run(ctx) {
      for (let i = 0; ; i++) {
        if (i > 70) fail('SYST:ERR? never answered 0,… while draining the queue');
        if (/^0,/.test(await ctx.askOk('SYST:ERR?'))) break;
      }
      const s = await ctx.session();
      const e1 = await s.request('FROB');
      const e2 = await s.request('READ', [0, 0, 1]);
      const queued: string[] = [];
      for (const e of [e1, e2]) {
        if (e.kind !== 'err') fail(`expected an ERR to queue, got ${e.kind.toUpperCase()}`);
        const q = await ctx.askOk('SYST:ERR?');
        // The text is quoted in the queue, so a board may replace quotes inside it.
        const want = `${e.code},"${e.text.replace(/"/g, "'")}"`;
        expect(
          q.replace(/"/g, "'") === want.replace(/"/g, "'"),
          `SYST:ERR? answered ${shown(q)}, expected ${shown(want)}`,
        );
        queued.push(q);
      }
      const empty = await ctx.askOk('SYST:ERR?');
      expect(
        empty === '0,"No error"',
        `SYST:ERR? on an empty queue answered ${shown(empty)}, expected 0,"No error"`,
      );
      return `${queued.join(' then ')} then 0,"No error"`;
    },
  },
];

/** Checks over every line the board sent during the run: they run after all the others. */
export const FRAMING_AGGREGATES: readonly ConformanceCheck[] = [
  {
    clause: '§1.2',
    title: 'every board line is printable ASCII',
    changesState: false,
    run(ctx) {
      const bad = ctx.wire.lines.find((l) => !/^[\x20-\x7e]*\r?$/.test(l.raw));
      if (bad) fail(`line ${bad.index + 1} has a byte outside 0x20-0x7E: ${shown(bad.raw)}`);
      return Promise.resolve(`${ctx.wire.lines.length} lines`);
    },
  },
  {
    clause: '§2.1',
    title: 'the board ends its lines with CR LF',
    changesState: false,
    run(ctx) {
      const bad = ctx.wire.lines.find(
        (l) => !l.raw.endsWith('\r') || l.raw.slice(0, -1).includes('\r'),
      );
      if (bad) fail(`line ${bad.index + 1} does not end with exactly CR LF: ${shown(bad.raw)}`);
      return Promise.resolve(`${ctx.wire.lines.length} lines`);
    },
  },
  {
    clause: '§2.4',
    title: 'every board line carries a valid CRC-16/CCITT-FALSE',
    changesState: false,
    run(ctx) {
      const bad = ctx.wire.lines.filter((l) => l.defect === 'crc');
      if (bad.length)
        fail(
          `${bad.length} of ${ctx.wire.lines.length} lines have a missing or wrong CRC, e.g. ${shown(bad[0]!.raw)}`,
        );
      return Promise.resolve(`${ctx.wire.lines.length} lines`);
    },
  },
  {
    clause: '§2.6',
    title: 'no board line exceeds 16,384 bytes',
    changesState: false,
    run(ctx) {
      const bad = ctx.wire.lines.find((l) => l.cut || l.raw.length + 1 > MAX_LINE_BYTES);
      if (bad || ctx.wire.longLines > 0)
        fail(`the board sent a line over ${MAX_LINE_BYTES} bytes (line ${(bad?.index ?? 0) + 1})`);
      return Promise.resolve(
        `longest ${Math.max(0, ...ctx.wire.lines.map((l) => l.raw.length + 1))} bytes`,
      );
    },
  },
  {
    clause: '§2.7',
    title:
      'every reply is <seq> OK … or <seq> ERR <code> <text> with a §3 code, answering a request sent',
    changesState: false,
    run(ctx) {
      for (const l of ctx.wire.lines) {
        if (l.raw.startsWith('!')) continue;
        const r = l.reply;
        if (!r || l.defect === 'syntax')
          fail(`line ${l.index + 1} is not a reply: ${shown(l.raw)}`);
        if (r.kind === 'event') continue;
        if (r.kind === 'err' && !ERROR_CODES.has(r.code))
          fail(`line ${l.index + 1} has an error code not in §3: ${shown(l.raw)}`);
        if (!ctx.wire.sentSeqs.has(r.seq))
          fail(`line ${l.index + 1} answers seq ${r.seq}, which was never sent: ${shown(l.raw)}`);
      }
      return Promise.resolve(
        `${ctx.wire.lines.filter((l) => !l.raw.startsWith('!')).length} replies`,
      );
    },
  },
  {
    clause: '§2.8',
    title: 'events are "! BOOT <8 hex digits>" or "! ERR <code>"',
    changesState: false,
    run(ctx) {
      const events = ctx.wire.lines.filter((l) => l.raw.startsWith('!'));
      for (const l of events) {
        const body = l.raw.replace(/\r$/, '').replace(/\*[0-9A-Fa-f]{4}$/, '');
        const m = /^! (?:BOOT [0-9A-Fa-f]{8}|ERR (\d{3}))$/.exec(body);
        if (!m || (m[1] !== undefined && !ERROR_CODES.has(Number(m[1]))))
          fail(`line ${l.index + 1} is not a v1 event: ${shown(l.raw)}`);
      }
      if (events.length === 0)
        skip('the board sent no event during the run (! BOOT comes only at start-up)');
      return Promise.resolve(
        events.map((l) => l.raw.replace(/\r$/, '').replace(/\*[0-9A-Fa-f]{4}$/, '')).join(', '),
      );
    },
  },
];

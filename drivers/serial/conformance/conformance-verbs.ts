/**
 * Conformance checks of the verbs (docs/protocol.md §4) and of the board's own limit checks
 * (§6.1). Safe on a real board by construction: reads and MVMs on a few cells, pulses only on
 * the test cell and only well inside the board's own `LIM?` limits (30% up the amplitude range,
 * mid gate, a mid width), out-of-limit requests only *below* a minimum (so a board that wrongly
 * took one would do nothing harmful), and every setting changed is restored at the end.
 */
import type { ChipInfo, Range } from '../../driver.ts';
import {
  PROTOCOL_VERSION,
  decodeF32,
  decodeFlags,
  decodeU16,
  encodeF32,
  fromBase64,
  packBits,
  toBase64,
  unpackBits,
} from '../wire/codec.ts';
import {
  expect,
  expectErr,
  fail,
  inside,
  round,
  safePulseArgs,
  shown,
  skip,
  type ConformanceCheck,
  type ConformanceContext,
  type Session,
} from './conformance-context.ts';

/** The keys of a `CONF?` value, in the order §4 shows them. */
const CONF_KEYS = ['bits', 'vref', 'vth', 'window', 'mode', 'stop'] as const;

/** A parsed `CONF?` value. */
export interface ConfValue {
  bits: number;
  vref: number;
  vth: number;
  window: number;
  mode: string;
  stop: number;
}

/** Parse a `CONF?`/`CONF` value; fails the check when a key is missing or not a number. */
export function parseConfValue(text: string): ConfValue {
  const map = new Map<string, string>();
  for (const word of text.split(' ')) {
    const m = /^([a-z]+)=(\S+)$/.exec(word);
    if (!m) fail(`configuration ${shown(text)}: '${word}' is not key=value`);
    map.set(m[1]!, m[2]!);
  }
  const missing = CONF_KEYS.filter((k) => !map.has(k));
  if (missing.length) fail(`configuration ${shown(text)} lacks ${missing.join(', ')}`);
  const n = (k: string) => {
    const v = Number(map.get(k));
    return Number.isFinite(v) ? v : fail(`configuration ${shown(text)}: ${k} is not a number`);
  };
  const mode = map.get('mode')!;
  if (mode !== 'COUNT' && mode !== 'TTFS')
    fail(`configuration ${shown(text)}: mode is not COUNT or TTFS`);
  return {
    bits: n('bits'),
    vref: n('vref'),
    vth: n('vth'),
    window: n('window'),
    mode,
    stop: n('stop'),
  };
}

/** `CONF` arguments that set every key to `c`. */
export function confArgsOf(c: ConfValue): string[] {
  return CONF_KEYS.map((k) => `${k}=${c[k]}`);
}

/** What is wrong with a `LIM?` value as a ChipInfo (empty when nothing). */
export function chipInfoProblems(v: unknown): string[] {
  const out: string[] = [];
  if (typeof v !== 'object' || v === null) return ['not a JSON object'];
  const i = v as Record<string, unknown>;
  const isRange = (r: unknown): r is Range =>
    typeof r === 'object' &&
    r !== null &&
    typeof (r as Range).min === 'number' &&
    typeof (r as Range).max === 'number' &&
    (r as Range).min <= (r as Range).max;
  for (const k of ['model', 'serial', 'firmwareVersion'])
    if (typeof i[k] !== 'string' || i[k] === '') out.push(`${k} is not a non-empty string`);
  for (const k of ['protocolVersion', 'rows', 'cols'])
    if (!Number.isInteger(i[k]) || (i[k] as number) < 1) out.push(`${k} is not a positive integer`);
  if (typeof i.clockHz !== 'number' || !(i.clockHz > 0))
    out.push('clockHz is not a positive number');
  if (typeof i.emulated !== 'boolean') out.push('emulated is not a boolean');
  if (
    !Array.isArray(i.readoutModes) ||
    i.readoutModes.length === 0 ||
    !i.readoutModes.every((m) => m === 'COUNT' || m === 'TTFS')
  )
    out.push('readoutModes is not a non-empty list of COUNT/TTFS');
  if (!isRange(i.precisionBits)) out.push('precisionBits is not a {min, max} range');
  if (!isRange(i.conductanceWindowMicroS))
    out.push('conductanceWindowMicroS is not a {min, max} range');
  const l = i.limits as Record<string, unknown> | undefined;
  if (typeof l !== 'object' || l === null) return [...out, 'limits is missing'];
  for (const pol of ['set', 'reset']) {
    const p = l[pol] as Record<string, unknown> | undefined;
    if (!isRange(p?.amplitudeV) || !isRange(p.gateV))
      out.push(`limits.${pol} lacks amplitudeV/gateV ranges`);
  }
  for (const k of ['pulseWidthS', 'readV', 'vthV'])
    if (!isRange(l[k])) out.push(`limits.${k} is not a range`);
  const f = l.forming as Record<string, unknown> | undefined;
  if (
    !isRange(f?.amplitudeV) ||
    !isRange(f.gateV) ||
    !isRange(f.widthS) ||
    !Number.isInteger(f.maxPulses)
  )
    out.push('limits.forming lacks amplitudeV/gateV/widthS ranges or maxPulses');
  for (const k of [
    'maxProgramPulsesPerPolarity',
    'maxProgramIterations',
    'maxReadAverage',
    'maxMvmBatch',
  ])
    if (!Number.isInteger(l[k]) || (l[k] as number) < 1)
      out.push(`limits.${k} is not a positive integer`);
  return out;
}

/** Another valid value in `r`, away from `current` (a quarter or three quarters up). */
function otherIn(r: Range, current: number): number {
  const a = round(inside(r, 0.25));
  return Math.abs(a - current) > (r.max - r.min) * 0.1 ? a : round(inside(r, 0.75));
}

/** SET when the cell sits in the lower half of the window, else RESET: keeps it off the edges. */
function towardsMiddle(info: ChipInfo, g: number): 'SET' | 'RESET' {
  return g < inside(info.conductanceWindowMicroS) ? 'SET' : 'RESET';
}

/** The test cell, formed; skips when it did not form. */
async function formedCell(ctx: ConformanceContext) {
  const cell = await ctx.testCell();
  if (!cell.formed) skip(`test cell (${cell.row}, ${cell.col}) did not form: pick another cell`);
  return cell;
}

async function conf(s: Session): Promise<ConfValue> {
  return parseConfValue(await s.ok('CONF?'));
}

export const VERB_CHECKS: readonly ConformanceCheck[] = [
  {
    clause: '§4',
    title: '*IDN? answers RRAM-BENCH,<model>,<serial>,<firmware>, agreeing with LIM?',
    changesState: false,
    async run(ctx) {
      const v = await ctx.askOk('*IDN?');
      const f = v.split(',');
      expect(
        f.length === 4 && f.every((x) => x !== ''),
        `*IDN? answered ${shown(v)}: not four comma-separated fields`,
      );
      expect(
        f[0] === 'RRAM-BENCH',
        `*IDN? answered ${shown(v)}: the first field must be RRAM-BENCH`,
      );
      const info = ctx.info;
      if (info) {
        const want = `RRAM-BENCH,${info.model},${info.serial},${info.firmwareVersion}`;
        expect(v === want, `*IDN? answered ${shown(v)} but LIM? describes ${shown(want)}`);
      }
      return v;
    },
  },
  {
    clause: '§4',
    title: 'PROT? answers 1',
    changesState: false,
    async run(ctx) {
      const v = await ctx.askOk('PROT?');
      expect(
        v === String(PROTOCOL_VERSION),
        `PROT? answered ${shown(v)}; this document is version ${PROTOCOL_VERSION}`,
      );
      return v;
    },
  },
  {
    clause: '§4',
    title: 'LIM? answers the chip info as JSON without spaces',
    changesState: false,
    async run(ctx) {
      const v = await ctx.askOk('LIM?');
      expect(!v.includes(' '), 'LIM? JSON contains spaces');
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch (e) {
        fail(`LIM? is not JSON (${(e as Error).message}): ${shown(v)}`);
      }
      const problems = chipInfoProblems(parsed);
      expect(problems.length === 0, `LIM? is not a ChipInfo: ${problems.join('; ')}`);
      const info = parsed as ChipInfo;
      expect(
        info.protocolVersion === PROTOCOL_VERSION,
        `LIM? protocolVersion is ${info.protocolVersion}, not ${PROTOCOL_VERSION}`,
      );
      return `${info.model} ${info.rows}x${info.cols}, ${v.length} characters`;
    },
  },
  {
    clause: '§4',
    title: 'LINK? answers rx= bad= crc= long= cached=, with crc= and long= within bad=',
    changesState: false,
    async run(ctx) {
      const c = await ctx.link();
      expect(c.rx > 0, 'LINK? rx= is 0 although lines were received');
      expect(
        c.crc <= c.bad && c.long <= c.bad,
        `LINK? crc=${c.crc} long=${c.long} exceed bad=${c.bad} (they are subsets of it, §5.8)`,
      );
      return `rx=${c.rx} bad=${c.bad} crc=${c.crc} long=${c.long} cached=${c.cached}`;
    },
  },
  {
    clause: '§4',
    title: 'CONF? answers bits= vref= vth= window= mode= stop=, inside the limits',
    changesState: false,
    async run(ctx) {
      const info = ctx.requireInfo();
      const s = await ctx.session();
      const text = await s.ok('CONF?');
      const c = parseConfValue(text);
      const { precisionBits: p, limits: l } = info;
      expect(
        Number.isInteger(c.bits) && c.bits >= p.min && c.bits <= p.max,
        `CONF? bits=${c.bits} is outside ${p.min}-${p.max}`,
      );
      expect(
        c.vref >= l.readV.min && c.vref <= l.readV.max,
        `CONF? vref=${c.vref} is outside the readV limit`,
      );
      expect(
        c.vth >= l.vthV.min && c.vth <= l.vthV.max,
        `CONF? vth=${c.vth} is outside the vthV limit`,
      );
      return text;
    },
  },
  {
    clause: '§4',
    title: 'CONF changes the named keys and answers the full configuration (restored afterwards)',
    changesState: true,
    async run(ctx) {
      const info = ctx.requireInfo();
      const s = await ctx.session();
      const c0 = await conf(s);
      const vth = otherIn(info.limits.vthV, c0.vth);
      const bits =
        c0.bits > info.precisionBits.min
          ? c0.bits - 1
          : Math.min(c0.bits + 1, info.precisionBits.max);
      ctx.confChanged = true;
      try {
        const set = parseConfValue(await s.ok('CONF', [`vth=${vth}`, `bits=${bits}`]));
        expect(
          set.vth === vth && set.bits === bits,
          `CONF vth=${vth} bits=${bits} answered vth=${set.vth} bits=${set.bits}`,
        );
        expect(
          set.vref === c0.vref && set.mode === c0.mode && set.stop === c0.stop,
          'CONF changed keys it was not given',
        );
        const again = await conf(s);
        expect(
          JSON.stringify(again) === JSON.stringify(set),
          'CONF? after CONF differs from the CONF reply',
        );
      } finally {
        const back = parseConfValue(await s.ok('CONF', confArgsOf(c0)));
        expect(
          JSON.stringify(back) === JSON.stringify(c0),
          'CONF with every original key did not restore the configuration',
        );
      }
      return `vth=${vth} bits=${bits} applied and restored`;
    },
  },
  {
    clause: '§4',
    title: 'READ of a region answers <time> and rows x cols float32 conductances',
    changesState: false,
    async run(ctx) {
      const info = ctx.requireInfo();
      const rows = Math.min(2, info.rows);
      const cols = Math.min(3, info.cols);
      const s = await ctx.session();
      const v = await s.ok('READ', [0, 0, rows, cols, Math.min(2, info.limits.maxReadAverage)]);
      const [time, g, ...rest] = v.split(' ');
      const t = Number(time);
      expect(
        time !== '' && Number.isFinite(t) && t >= 0 && rest.length === 0,
        `READ answered ${shown(v)}: not <time> <g:f32>`,
      );
      const values = decodeF32(g ?? '', rows * cols);
      expect(
        values,
        `READ of ${rows}x${cols} cells answered ${shown(g ?? '')}: not ${rows * cols} float32 values in base64`,
      );
      expect(
        values.every((x) => Number.isFinite(x)),
        'READ answered a non-finite conductance',
      );
      return `time ${t} s, ${rows * cols} conductances`;
    },
  },
  {
    clause: '§4',
    title:
      'MVM answers <batch> <energyJ> <latencyS> and batch x cols values at the configured precision',
    changesState: false,
    async run(ctx) {
      const info = ctx.requireInfo();
      const s = await ctx.session();
      const { bits } = await conf(s);
      const rows = Math.min(2, info.rows);
      const cols = Math.min(2, info.cols);
      const batch = 2;
      const inputs = toBase64(packBits(new Array<number>(batch * rows).fill(1), bits));
      const v = await s.ok('MVM', [
        rows > 1 ? `0-${rows - 1}` : '0',
        cols > 1 ? `0-${cols - 1}` : '0',
        batch,
        inputs,
      ]);
      const [b, energy, latency, values, ...rest] = v.split(' ');
      expect(
        rest.length === 0 && Number(b) === batch,
        `MVM answered ${shown(v)}: not <batch> <energyJ> <latencyS> <values>`,
      );
      expect(
        Number.isFinite(Number(energy)) && Number(energy) >= 0,
        `MVM energy ${energy} is not a number >= 0`,
      );
      expect(
        Number.isFinite(Number(latency)) && Number(latency) >= 0,
        `MVM latency ${latency} is not a number >= 0`,
      );
      const bytes = fromBase64(values ?? '');
      expect(
        bytes && unpackBits(bytes, bits, batch * cols),
        `MVM values ${shown(values ?? '')} are not ${batch * cols} ${bits}-bit values`,
      );
      return `${batch} vectors on ${rows} rows and ${cols} columns at ${bits} bits`;
    },
  },
  {
    clause: '§4',
    title: 'FORM answers <formed:bits> <pulses:u16> <g:f32> (forms the test cell if it is virgin)',
    changesState: true,
    async run(ctx) {
      const cell = await ctx.testCell();
      return `cell (${cell.row}, ${cell.col}): ${cell.formed ? 'formed' : 'NOT formed'}, ${cell.formPulses} forming pulses${cell.formPulses === 0 ? ' (it was formed before)' : ''}`;
    },
  },
  {
    clause: '§4',
    title: 'PULSE well inside the limits on a formed cell answers the pulses applied',
    changesState: true,
    async run(ctx) {
      const info = ctx.requireInfo();
      const cell = await formedCell(ctx);
      const s = await ctx.session();
      const g = await ctx.readCell(s, cell.row, cell.col);
      const args = safePulseArgs(info, cell.row, cell.col, towardsMiddle(info, g), 1);
      const v = await s.ok('PULSE', args);
      expect(
        v === '1' || v === '0',
        `PULSE ${args.join(' ')} answered ${shown(v)}, not the count applied (0 or 1)`,
      );
      if (v === '0')
        skip(`test cell (${cell.row}, ${cell.col}) takes no pulses (stuck?): pick another cell`);
      return `PULSE ${args.join(' ')} -> 1`;
    },
  },
  {
    clause: '§4',
    title:
      'PROG of the test cell to its own conductance answers <final:f32> <pulses:u16> <converged:bits>',
    changesState: true,
    async run(ctx) {
      const info = ctx.requireInfo();
      const cell = await formedCell(ctx);
      const s = await ctx.session();
      const w = info.conductanceWindowMicroS;
      const g = await ctx.readCell(s, cell.row, cell.col);
      const target = Math.min(w.max, Math.max(w.min, g));
      // A generous tolerance and at most two pulses: the format is under test, not the chip.
      const tol = round(Math.max(1, (w.max - w.min) * 0.05));
      const l = info.limits;
      const args = [
        cell.row,
        cell.col,
        1,
        tol,
        Math.min(2, l.maxProgramIterations),
        Math.min(2, l.maxProgramPulsesPerPolarity),
        Math.min(4, l.maxReadAverage),
        encodeF32(Float32Array.of(target)),
      ];
      const v = await s.ok('PROG', args);
      const [fin, pulses, converged, ...rest] = v.split(' ');
      const ok =
        rest.length === 0 &&
        decodeF32(fin ?? '', 1) &&
        decodeU16(pulses ?? '', 1) &&
        decodeFlags(converged ?? '', 1);
      expect(
        ok,
        `PROG answered ${shown(v)}: not <final:f32> <pulses:u16> <converged:bits> for one cell`,
      );
      return `target ${round(target)} uS, ${decodeU16(pulses!, 1)![0]} pulses`;
    },
  },
  {
    clause: '§4',
    title: 'IDLE and ABORT answer a bare OK',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session();
      for (const verb of ['IDLE', 'ABORT']) {
        const v = await s.ok(verb);
        expect(v === '', `${verb} answered OK ${shown(v)}, expected a bare OK`);
      }
      return 'OK, OK';
    },
  },
  {
    clause: '§4',
    title: '*RST answers OK and clears the error queue (the configuration is restored afterwards)',
    changesState: true,
    async run(ctx) {
      const s = await ctx.session();
      await s.request('FROB'); // something in the queue for *RST to clear
      ctx.confChanged = true;
      const v = await s.ok('*RST');
      expect(v === '', `*RST answered OK ${shown(v)}, expected a bare OK`);
      const q = await ctx.askOk('SYST:ERR?');
      expect(/^0,/.test(q), `SYST:ERR? after *RST answered ${shown(q)}: the queue was not cleared`);
      return 'queue cleared';
    },
  },
];

/** Checks of §6.1: the board refuses what is outside its limits, and applies none of it. */
export const SAFETY_CHECKS: readonly ConformanceCheck[] = [
  {
    clause: '§6.1',
    title: 'a CONF with one value outside the limits is answered ERR 200 and none of it is applied',
    changesState: false,
    async run(ctx) {
      const info = ctx.requireInfo();
      const below = info.limits.readV.min / 2;
      if (!(below < info.limits.readV.min))
        skip('the read-voltage minimum is 0: nothing is below it');
      const s = await ctx.session();
      const c0 = await conf(s);
      const vth = otherIn(info.limits.vthV, c0.vth);
      ctx.confChanged = true;
      const detail = expectErr(
        await s.request('CONF', [`vth=${vth}`, `vref=${below}`]),
        200,
        `CONF vth=${vth} vref=${below}`,
      );
      const c1 = await conf(s);
      expect(
        JSON.stringify(c1) === JSON.stringify(c0),
        `after the refused CONF, CONF? shows vth=${c1.vth} vref=${c1.vref}: part of it was applied`,
      );
      return `${detail}; CONF? unchanged`;
    },
  },
  {
    clause: '§6.1',
    title: 'a PULSE below the amplitude minimum is answered ERR 200',
    changesState: false,
    async run(ctx) {
      const info = ctx.requireInfo();
      const min = info.limits.set.amplitudeV.min;
      // Below the minimum, not above the maximum: if a board took it, it would do no harm.
      if (!(min > 0)) skip('the SET amplitude minimum is 0: nothing is below it');
      const { row, col } = ctx.options.cell ?? { row: info.rows - 1, col: info.cols - 1 };
      const args = safePulseArgs(info, row, col, 'SET', 1);
      args[3] = round(min / 2);
      const s = await ctx.session();
      return expectErr(await s.request('PULSE', args), 200, `PULSE ${args.join(' ')}`);
    },
  },
];

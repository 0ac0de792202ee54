/**
 * Checks of the clauses clarified by the second pass over the wire (issue 11): verbs are
 * case-insensitive (§2.2), the one error-code rule (§3), `LIM?` carries the PULSE count limit
 * (§4), and the verbs that keep results independent of the link: `WAIT`, `SNAP`/`FETCH` and
 * `STAGE`/`MVMS`/`TAKE` (§4). None of them forms or pulses a cell.
 */
import type { ChipInfo } from '../../driver.ts';
import { decodeF32, fromBase64, packBits, toBase64 } from '../wire/codec.ts';
import { expect, expectErr, fail, shown, type ConformanceCheck } from './conformance-context.ts';

/** The `maxPulseCount` LIM? reports (§4), failing the check when absent. */
function maxPulseCount(info: ChipInfo): number {
  const n = info.limits.maxPulseCount;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    fail(`LIM? limits.maxPulseCount is ${String(n)}, not a whole number >= 1`);
  return n;
}

export const CLARIFIED_CHECKS: readonly ConformanceCheck[] = [
  {
    clause: '§2.2',
    title: 'verbs are case-insensitive: *idn? and conf? are answered as *IDN? and CONF?',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session();
      const v = await s.ok('*idn?');
      expect(v.startsWith('RRAM-BENCH,'), `*idn? answered ${shown(v)}, not RRAM-BENCH,…`);
      await s.ok('conf?');
      return '*idn? and conf? answered';
    },
  },
  {
    clause: '§4',
    title: 'LIM? reports the PULSE count limit as limits.maxPulseCount',
    changesState: false,
    run(ctx) {
      return Promise.resolve(`maxPulseCount ${maxPulseCount(ctx.requireInfo())}`);
    },
  },
  {
    clause: '§3',
    title:
      'one rule: a malformed word is 111 (SETX, mode=BOGUS), a value above a LIM? limit is 200, a value no array accepts is 201; nothing is applied',
    changesState: false,
    async run(ctx) {
      const info = ctx.requireInfo();
      const s = await ctx.session();
      const last = { row: info.rows - 1, col: info.cols - 1 };
      const got = [
        expectErr(
          await s.request('PULSE', [last.row, last.col, 'SETX', 1, 1e-6, 1, 1]),
          111,
          'PULSE with polarity SETX',
        ),
        expectErr(await s.request('CONF', ['mode=BOGUS']), 111, 'CONF mode=BOGUS'),
        expectErr(
          await s.request('READ', [0, 0, 1, 1, info.limits.maxReadAverage + 1]),
          200,
          `READ averaging ${info.limits.maxReadAverage + 1}`,
        ),
        expectErr(
          await s.request('PULSE', [
            last.row,
            last.col,
            'SET',
            info.limits.set.amplitudeV.min,
            info.limits.pulseWidthS.min,
            info.limits.set.gateV.min,
            maxPulseCount(info) + 1,
          ]),
          200,
          `PULSE count ${maxPulseCount(info) + 1}`,
        ),
        expectErr(await s.request('READ', [info.rows, 0, 1, 1, 1]), 201, 'READ outside the array'),
      ];
      return got.map((g) => g.split(' ').slice(0, 2).join(' ')).join(', ');
    },
  },
  {
    clause: '§4',
    title: 'WAIT lets chip time pass on the board and answers the chip time after; WAIT -1 is 201',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session();
      const t0 = Number(await s.ok('WAIT', [0]));
      const t1 = Number(await s.ok('WAIT', [0.01]));
      expect(Number.isFinite(t0) && Number.isFinite(t1), 'WAIT did not answer a chip time');
      expect(t1 - t0 >= 0.01 - 1e-9, `WAIT 0.01 advanced chip time by ${t1 - t0} s`);
      expectErr(await s.request('WAIT', [-1]), 201, 'WAIT -1');
      return `chip time ${t0} -> ${t1} s`;
    },
  },
  {
    clause: '§4',
    title:
      'SNAP reads a region at one chip time; FETCH returns its cells in pieces; past the end is 201',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session();
      const v = await s.ok('SNAP', [7, 0, 0, 1, 4, 1]);
      const [time, n] = v.split(' ');
      expect(Number.isFinite(Number(time)) && n === '4', `SNAP answered ${shown(v)}, not <time> 4`);
      const a = decodeF32(await s.ok('FETCH', [7, 0, 3]), 3);
      const b = decodeF32(await s.ok('FETCH', [7, 3, 1]), 1);
      expect(a && b, 'FETCH did not answer float32 payloads of the sizes asked');
      const whole = decodeF32(await s.ok('FETCH', [7, 0, 4]), 4);
      expect(
        whole && [...a, ...b].every((g, i) => g === whole[i]),
        'FETCH pieces differ from the whole: the snapshot changed between them',
      );
      expectErr(await s.request('FETCH', [7, 3, 2]), 201, 'FETCH past the snapshot');
      return `4 cells at chip time ${time} s`;
    },
  },
  {
    clause: '§4',
    title: 'STAGE, MVMS and TAKE run an MVM staged in pieces and return its packed values',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session();
      const bits = Number(/bits=(\d+)/.exec(await s.ok('CONF?'))?.[1]);
      const inputs = packBits([1, 0], bits);
      await s.ok('STAGE', [5, 0, toBase64(inputs.subarray(0, 1))]);
      if (inputs.length > 1) await s.ok('STAGE', [5, 1, toBase64(inputs.subarray(1))]);
      const v = await s.ok('MVMS', [5, '0-1', '0', 1]);
      const w = v.split(' ');
      expect(
        w.length === 4 && w[0] === '1',
        `MVMS answered ${shown(v)}, not 1 <energyJ> <latencyS> <bytes>`,
      );
      const bytes = Number(w[3]);
      expect(bytes === Math.ceil(bits / 8), `MVMS reports ${w[3]} bytes for one ${bits}-bit value`);
      const out = fromBase64(await s.ok('TAKE', [5, 0, bytes]));
      expect(out?.length === bytes, 'TAKE did not answer the bytes asked');
      expectErr(await s.request('TAKE', [5, bytes, 1]), 201, 'TAKE past the values');
      return `one ${bits}-bit MVM of 2 rows staged, run and taken`;
    },
  },
];

/**
 * Conformance checks of ordering, retries, the reply cache and sessions (docs/protocol.md §5):
 * what makes a run over a lossy link execute exactly what a clean one does. Holding is tested
 * without sleeps: an out-of-band query sent after the held request is answered at once, so the
 * held one must not have been answered before it.
 */
import { decodeF32, encodeRequest } from '../wire/codec.ts';
import {
  diff,
  expect,
  expectErr,
  fail,
  okValue,
  safePulseArgs,
  shown,
  skip,
  type ConformanceCheck,
  type ConformanceContext,
} from './conformance-context.ts';
import { seqOf, type BoardLine } from './conformance-wire.ts';
import { parseConfValue } from './conformance-verbs.ts';

/** Wait for the replies to `seqs` (sent after line `from`); fail on the first missing one. */
async function replies(
  ctx: ConformanceContext,
  seqs: readonly number[],
  from: number,
): Promise<BoardLine[]> {
  const out: BoardLine[] = [];
  for (const seq of seqs) {
    const l = await ctx.wire.waitReply(seq, from, ctx.options.replyTimeoutMs);
    out.push(l ?? fail(`no reply to seq ${seq} within ${ctx.options.replyTimeoutMs} ms`));
  }
  return out;
}

/** Fail unless the lines arrived in the order given. */
function inOrder(lines: readonly BoardLine[], what: string): void {
  for (let i = 1; i < lines.length; i++)
    if (lines[i]!.index < lines[i - 1]!.index)
      fail(
        `${what}: seq ${String(seqOf(lines[i]!))} was answered before seq ${String(seqOf(lines[i - 1]!))}`,
      );
}

/** Fail when `seq` was answered since line `from`. */
function notAnswered(ctx: ConformanceContext, seq: number, from: number, why: string): void {
  const l = ctx.wire.lines.slice(from).find((x) => seqOf(x) === seq);
  if (l) fail(`seq ${seq} was answered ${why}: ${shown(l.raw)}`);
}

/**
 * Open a session and send the request after next (`n1`, CONF?) so that it is held behind the
 * missing `n`; `from` marks the wire before it.
 */
async function holdOne(ctx: ConformanceContext): Promise<{ n: number; n1: number; from: number }> {
  const s = await ctx.session();
  const n = s.take();
  const n1 = s.take();
  const from = ctx.wire.mark();
  await ctx.wire.send(encodeRequest(n1, 'CONF?'));
  return { n, n1, from };
}

export const ORDERING_CHECKS: readonly ConformanceCheck[] = [
  {
    clause: '§5.1',
    title:
      'a request ahead of a missing seq is held; when the missing one arrives both run in seq order',
    changesState: false,
    async run(ctx) {
      const { n, n1, from } = await holdOne(ctx);
      await ctx.askOk('*IDN?'); // answered at once; n+1 must still be held behind it
      notAnswered(ctx, n1, from, `before seq ${n} arrived (it must be held)`);
      await ctx.wire.send(encodeRequest(n, 'CONF?'));
      const got = await replies(ctx, [n, n1], from);
      inOrder(got, 'held request');
      for (const l of got)
        if (l.reply?.kind !== 'ok') fail(`seq ${String(seqOf(l))} was answered ${shown(l.raw)}`);
      return `sent ${n1} then ${n}; answered ${n} then ${n1}`;
    },
  },
  {
    clause: '§5.1',
    title: 'seqs wrap 65535 -> 0 within a session',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session(65534);
      for (let i = 0; i < 3; i++) await s.ok('CONF?');
      const v = await ctx.askOk('SESS', [s.id, 0]);
      expect(
        v.split(' ')[1] === '1',
        `after 65534, 65535 and 0, SESS (same id) answered ${shown(v)}: the board should expect 1`,
      );
      return '65534, 65535, 0 answered in turn; the board expects 1';
    },
  },
  {
    clause: '§5.4',
    title: 'a retried PULSE (the identical line) is answered from the cache, applied once',
    changesState: true,
    async run(ctx) {
      const info = ctx.requireInfo();
      const cell = await ctx.testCell();
      if (!cell.formed)
        skip(`test cell (${cell.row}, ${cell.col}) did not form: pick another cell`);
      const s = await ctx.session();
      const read = () => ctx.readCell(s, cell.row, cell.col);
      const g0 = await read();
      const polarity =
        g0 < (info.conductanceWindowMicroS.min + info.conductanceWindowMicroS.max) / 2
          ? 'SET'
          : 'RESET';
      // Several pulses, so that one pulse train more than expected shows above the read noise.
      const args = safePulseArgs(info, cell.row, cell.col, polarity, 4);
      const pulse = encodeRequest(s.take(), 'PULSE', args);
      const first = await ctx.exchangeLine(pulse);
      const applied = okValue(first.reply!, `PULSE ${args.join(' ')}`);
      if (applied === '0')
        skip(`test cell (${cell.row}, ${cell.col}) takes no pulses (stuck?): pick another cell`);
      const g1 = await read();
      const before = await ctx.link();
      const retry = await ctx.exchangeLine(pulse);
      const after = await ctx.link();
      const g2 = await read();
      // A fresh pulse train of the same kind, for scale: the retry must have moved the cell far less.
      okValue(await s.request('PULSE', args), 'a fresh PULSE');
      const g3 = await read();
      const retryMove = Math.abs(g2 - g1);
      const freshMove = Math.abs(g3 - g2);
      const noise = 0.02 * Math.max(g1, g2, g3) + 0.05;
      if (freshMove > 3 * noise && retryMove > 0.5 * freshMove)
        fail(
          `the retry moved the cell by ${retryMove.toFixed(3)} uS, a fresh pulse train by ${freshMove.toFixed(3)} uS: it was applied again`,
        );
      expect(
        retry.raw === first.raw,
        `the retry was answered ${shown(retry.raw)}, the original ${shown(first.raw)}: not byte for byte`,
      );
      const cached = diff(after, before).cached;
      expect(
        cached === 1,
        `LINK? cached= grew by ${cached} on the retry, expected 1: the retry was not answered from the cache`,
      );
      const scale =
        freshMove > 3 * noise
          ? `; the retry moved the cell ${retryMove.toFixed(2)} uS, a fresh train ${freshMove.toFixed(2)} uS`
          : '';
      return `identical reply ${shown(first.raw)}, cached= +1${scale}`;
    },
  },
  {
    clause: '§5.4',
    title: 'a cached seq arriving with different content is answered ERR 400 and not executed',
    changesState: false,
    async run(ctx) {
      const info = ctx.requireInfo();
      const s = await ctx.session();
      const k = s.take();
      const c0 = okValue(await ctx.exchange(encodeRequest(k, 'CONF?')), 'CONF?');
      const vth =
        parseConfValue(c0).vth === info.limits.vthV.min
          ? info.limits.vthV.max
          : info.limits.vthV.min;
      ctx.confChanged = true;
      const detail = expectErr(
        await ctx.exchange(encodeRequest(k, 'CONF', [`vth=${vth}`])),
        400,
        `seq ${k} reused for CONF vth=${vth}`,
      );
      const c1 = await s.ok('CONF?');
      expect(
        c1 === c0,
        `after the refused reuse CONF? answered ${shown(c1)}, before ${shown(c0)}: it was executed`,
      );
      return `${detail}; configuration unchanged`;
    },
  },
  {
    clause: '§5.5',
    title: 'SESS with a new id answers <boot-id> <first-seq>',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session(4321); // fails unless the board expects 4321
      const v = await ctx.askOk('SESS', [s.id, 4321]);
      const [boot] = v.split(' ');
      expect(
        /^[0-9A-Fa-f]{8}$/.test(boot ?? ''),
        `SESS answered ${shown(v)}: the boot id is not 8 hex digits`,
      );
      if (ctx.bootId !== undefined)
        expect(
          boot === ctx.bootId,
          `the boot id changed from ${ctx.bootId} to ${boot} without a reset`,
        );
      return v;
    },
  },
  {
    clause: '§5.5',
    title: 'SESS with the same id keeps the reply cache and the expected seq',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session();
      const a = encodeRequest(s.take(), 'CONF?');
      const first = await ctx.exchangeLine(a);
      okValue(first.reply!, 'CONF?');
      await s.ok('CONF?');
      const v = await ctx.askOk('SESS', [s.id, 0]);
      expect(
        Number(v.split(' ')[1]) === s.next,
        `SESS with the same id answered ${shown(v)}: the board should still expect ${s.next}`,
      );
      const before = await ctx.link();
      const again = await ctx.exchangeLine(a);
      const after = await ctx.link();
      expect(
        again.raw === first.raw,
        `the retry after SESS was answered ${shown(again.raw)}, originally ${shown(first.raw)}`,
      );
      expect(
        diff(after, before).cached === 1,
        'the retry after SESS with the same id was not answered from the cache (cached= did not grow)',
      );
      return `${v}; a retry was answered from the cache`;
    },
  },
  {
    clause: '§5.5',
    title: 'SESS with a new id clears the reply cache',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session();
      const k = s.take();
      okValue(await ctx.exchange(encodeRequest(k, 'CONF?')), 'CONF?');
      await ctx.session(k); // a new id, starting at the seq just used
      const v = okValue(
        await ctx.exchange(encodeRequest(k, 'READ', [0, 0, 1, 1, 1])),
        `seq ${k} reused in a new session`,
      );
      expect(
        decodeF32(v.split(' ')[1] ?? '', 1),
        `seq ${k} in the new session answered ${shown(v)}, not a READ`,
      );
      return `seq ${k} ran anew in the new session`;
    },
  },
  {
    clause: '§5.8',
    title: 'handshake queries are answered at once while a request is held',
    changesState: false,
    async run(ctx) {
      const { n, n1, from } = await holdOne(ctx);
      for (const verb of ['*IDN?', 'PROT?', 'LIM?', 'LINK?']) okValue(await ctx.ask(verb), verb);
      notAnswered(ctx, n1, from, 'before the missing seq arrived');
      await ctx.wire.send(encodeRequest(n, 'CONF?'));
      inOrder(await replies(ctx, [n, n1], from), 'held request');
      return '*IDN?, PROT?, LIM?, LINK? answered while a request was held';
    },
  },
  {
    clause: '§5.8',
    title: 'a retry of a held request is ignored: it gets one reply, when it runs',
    changesState: false,
    async run(ctx) {
      const { n, n1, from } = await holdOne(ctx);
      await ctx.wire.send(encodeRequest(n1, 'CONF?')); // the identical line again
      await ctx.askOk('LINK?');
      await ctx.wire.send(encodeRequest(n, 'CONF?'));
      await replies(ctx, [n, n1], from);
      await ctx.askOk('LINK?'); // anything still owed arrives before this
      const count = ctx.wire.lines.slice(from).filter((l) => seqOf(l) === n1).length;
      expect(count === 1, `the held request sent twice was answered ${count} times`);
      return 'one reply';
    },
  },
  {
    clause: '§5.8',
    title: 'a seq behind the expected one and not in the reply cache is answered ERR 400',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session();
      const behind = (s.next - 5) & 0xffff;
      return expectErr(
        await ctx.exchange(encodeRequest(behind, 'CONF?')),
        400,
        `seq ${behind} in a session expecting ${s.next}`,
      );
    },
  },
  {
    clause: '§5.8',
    title: 'a 9th request held ahead of a gap is dropped without a reply',
    changesState: false,
    async run(ctx) {
      const s = await ctx.session();
      const n = s.take();
      const ahead = Array.from({ length: 9 }, () => s.take());
      const from = ctx.wire.mark();
      for (const seq of ahead) await ctx.wire.send(encodeRequest(seq, 'CONF?'));
      await ctx.askOk('LINK?');
      await ctx.wire.send(encodeRequest(n, 'CONF?'));
      const got = await replies(ctx, [n, ...ahead.slice(0, 8)], from);
      inOrder(got, 'held requests');
      await ctx.askOk('LINK?');
      const ninth = ahead[8]!;
      notAnswered(ctx, ninth, from, 'although 8 requests were already held');
      // It was dropped, so the board still expects it: sent again, it runs.
      okValue(await ctx.exchange(encodeRequest(ninth, 'CONF?')), `seq ${ninth} resent`);
      return `8 held and run in order, the 9th dropped; resent, it ran`;
    },
  },
  {
    clause: '§5.8',
    title: 'IDLE acts at once, and the ordering steps over its seq',
    changesState: false,
    async run(ctx) {
      const { n, n1, from } = await holdOne(ctx);
      okValue(await ctx.exchange(encodeRequest(n, 'IDLE')), `IDLE at seq ${n}`);
      const [held] = await replies(ctx, [n1], from);
      expect(held!.reply?.kind === 'ok', `the held request was answered ${shown(held!.raw)}`);
      return `IDLE at ${n} answered, then ${n1} ran`;
    },
  },
];

/**
 * The protocol conformance suite: talks to a board at the wire level and reports, per clause of
 * docs/protocol.md, whether it behaves as the spec (and the reference firmware) says. Framing is
 * under test, so the suite writes raw bytes and reads raw lines itself instead of going through
 * the host driver, which would hide a board's defects behind retries.
 *
 * On a real board it is safe by construction (see conformance-verbs.ts): it forms at most one
 * cell (the test cell, the last of the array unless told otherwise, only when it is virgin),
 * pulses only that cell and only well inside the board's own limits, and restores the readout
 * configuration at the end. Checks with `changesState` say which ones touch the chip.
 */
import { CLARIFIED_CHECKS } from './conformance-clarified.ts';
import { randomBytes } from 'node:crypto';
import { BenchError, isBenchError, type ChipInfo } from '../../driver.ts';
import { PROTOCOL_VERSION, encodeRequest } from '../wire/codec.ts';
import {
  CheckFailed,
  CheckSkipped,
  ConformanceContext,
  okValue,
  shown,
  type ConformanceCheck,
} from './conformance-context.ts';
import { FRAMING_AGGREGATES, FRAMING_CHECKS } from './conformance-framing.ts';
import { ORDERING_CHECKS } from './conformance-ordering.ts';
import {
  SAFETY_CHECKS,
  VERB_CHECKS,
  chipInfoProblems,
  confArgsOf,
  parseConfValue,
} from './conformance-verbs.ts';
import { ConformanceWire, type ConformanceTarget } from './conformance-wire.ts';

export type { ConformanceTarget } from './conformance-wire.ts';

/** The outcome of one check. */
export interface ConformanceResult {
  /** The clause verified, e.g. `§5.4`. */
  clause: string;
  /** What a conforming board does. */
  title: string;
  status: 'pass' | 'fail' | 'skip';
  /** What was seen (pass), what went wrong (fail), or why it could not run (skip). */
  detail: string;
  /** True when the check changes the chip: cells formed or pulsed, settings (restored). */
  changesState: boolean;
}

/** Options of `runConformance`. */
export interface ConformanceOptions {
  /** Baud rate when opening a path (8N1). Default 921600. */
  baudRate?: number;
  /** Run only the checks whose clause starts with one of these (`5.4`, `§2`). Default all. */
  only?: readonly string[];
  /** The one cell the suite may form and pulse. Default the last cell of the array. */
  cell?: { row: number; col: number };
  /** Budget for one reply, on top of the request's wire time (ms). Default 3000. */
  replyTimeoutMs?: number;
  /** Stops the suite between checks (it still restores the configuration). */
  signal?: AbortSignal;
  /** Called with each result as it is known (for live output). */
  onResult?: (result: ConformanceResult) => void;
}

/** What the suite found. */
export interface ConformanceReport {
  /** Port path or stream name. */
  port: string;
  /** `*IDN?` as answered. */
  idn: string | undefined;
  results: ConformanceResult[];
  passed: number;
  failed: number;
  skipped: number;
  /** Problems while restoring the board at the end (not conformance failures). */
  warnings: string[];
}

/** The §7 check: the outcome of the handshake the suite opened with. */
const HANDSHAKE: ConformanceCheck = {
  clause: '§7',
  title: 'the connect handshake: newline, *IDN?, PROT?, LIM?, SESS, SYST:ERR? until 0',
  changesState: false,
  run(ctx) {
    if (ctx.handshakeProblems.length) throw new CheckFailed(ctx.handshakeProblems.join('; '));
    return Promise.resolve(ctx.idn ?? '');
  },
};

/** Every check, in the order it runs; the aggregates over all lines come last. */
export const CONFORMANCE_CHECKS: readonly ConformanceCheck[] = [
  HANDSHAKE,
  ...FRAMING_CHECKS,
  ...VERB_CHECKS,
  ...ORDERING_CHECKS,
  ...SAFETY_CHECKS,
  ...CLARIFIED_CHECKS,
  ...FRAMING_AGGREGATES,
];

/** True when `clause` is selected by the `only` prefixes (with or without `§`). */
export function clauseSelected(clause: string, only: readonly string[] | undefined): boolean {
  if (!only || only.length === 0) return true;
  const c = clause.replace(/^§/, '');
  return only.some((p) => {
    const q = p.replace(/^§/, '');
    // `5` selects §5.1…§5.8 and `5.1` selects §5.1, but `2.1` does not select a §2.10.
    return c === q || c.startsWith(q.endsWith('.') ? q : `${q}.`);
  });
}

/**
 * Run the suite against the board at `target` (a port path, `{ path, binding }`, or an open
 * stream). Throws IO when the port cannot be opened, TIMEOUT when the board never answers
 * `*IDN?`, PROTOCOL when it answers only garbage, ABORTED when `signal` fires; a board that
 * answers but misbehaves is reported, not thrown.
 */
export async function runConformance(
  target: ConformanceTarget,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  const baudRate = options.baudRate ?? 921600;
  const wire = await ConformanceWire.open(target, { baudRate });
  const ctx = new ConformanceContext(wire, {
    replyTimeoutMs: options.replyTimeoutMs ?? 3000,
    baudRate,
    cell: options.cell,
  });
  const results: ConformanceResult[] = [];
  const warnings: string[] = [];
  try {
    await handshake(ctx);
    const afterHandshake = wire.mark();
    for (const check of CONFORMANCE_CHECKS) {
      if (!clauseSelected(check.clause, options.only)) continue;
      if (options.signal?.aborted)
        throw new BenchError('ABORTED', 'conformance suite interrupted', { port: wire.name });
      const result = await runCheck(ctx, check);
      results.push(result);
      options.onResult?.(result);
    }
    // A reset mid-run loses the session and the cache: later failures may follow from it.
    const boot = wire.lines
      .slice(afterHandshake)
      .find((l) => l.reply?.kind === 'event' && l.reply.name === 'BOOT');
    if (boot)
      warnings.push(
        `the board reset during the run (${shown(boot.raw)}): failures after it may follow from the reset`,
      );
  } finally {
    await restore(ctx, warnings);
    await wire.close();
  }
  const count = (s: ConformanceResult['status']) => results.filter((r) => r.status === s).length;
  return {
    port: wire.name,
    idn: ctx.idn,
    results,
    passed: count('pass'),
    failed: count('fail'),
    skipped: count('skip'),
    warnings,
  };
}

async function runCheck(
  ctx: ConformanceContext,
  check: ConformanceCheck,
): Promise<ConformanceResult> {
  const result = (status: ConformanceResult['status'], detail: string): ConformanceResult => ({
    clause: check.clause,
    title: check.title,
    status,
    detail,
    changesState: check.changesState,
  });
  try {
    return result('pass', await check.run(ctx));
  } catch (e) {
    if (e instanceof CheckFailed) return result('fail', e.message);
    if (e instanceof CheckSkipped) return result('skip', e.message);
    if (isBenchError(e)) throw e;
    if (ctx.wire.isLost)
      throw new BenchError('DISCONNECTED', `lost ${ctx.wire.name} during the conformance suite`, {
        port: ctx.wire.name,
      });
    return result('fail', `unexpected error: ${(e as Error).message}`);
  }
}

/** §7, recording what goes wrong for the §7 check; throws only when the board never answers. */
async function handshake(ctx: ConformanceContext): Promise<void> {
  const { wire } = ctx;
  await wire.send('\n');
  const idnLine = encodeRequest(ctx.oobSeq(), '*IDN?');
  let idn: string | undefined;
  for (let attempt = 0; attempt < 2 && idn === undefined; attempt++) {
    try {
      const reply = await ctx.exchange(idnLine);
      idn = reply.kind === 'ok' ? reply.value : '';
      if (reply.kind !== 'ok') ctx.handshakeProblems.push(`*IDN? was answered with ERR`);
    } catch (e) {
      if (!(e instanceof CheckFailed)) throw e;
    }
  }
  if (idn === undefined) {
    if (wire.lines.length === 0)
      throw new BenchError(
        'TIMEOUT',
        `no answer from ${wire.name}: is it an rram-bench board, and powered?`,
        {
          port: wire.name,
        },
      );
    throw new BenchError(
      'PROTOCOL',
      `${wire.name} sends lines but no reply to *IDN? (${wire.lines.length} lines, e.g. ${shown(wire.lines[0]!.raw)}): wrong baud rate, or not an rram-bench board?`,
      { port: wire.name },
    );
  }
  ctx.idn = idn;
  if (idn.split(',')[0] !== 'RRAM-BENCH')
    ctx.handshakeProblems.push(`*IDN? answered ${shown(idn)}: not RRAM-BENCH,…`);
  const step = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      if (!(e instanceof CheckFailed)) throw e;
      ctx.handshakeProblems.push(`${what}: ${e.message}`);
    }
  };
  await step('PROT?', async () => {
    const v = await ctx.askOk('PROT?');
    if (v !== String(PROTOCOL_VERSION))
      ctx.handshakeProblems.push(
        `board speaks protocol ${v}, this rram-bench speaks ${PROTOCOL_VERSION}`,
      );
  });
  await step('LIM?', async () => {
    const v = await ctx.askOk('LIM?');
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      parsed = undefined;
    }
    const problems = chipInfoProblems(parsed);
    if (problems.length)
      ctx.handshakeProblems.push(`LIM? gave no valid chip info (${problems[0]})`);
    else ctx.info = parsed as ChipInfo;
  });
  await step('SESS', async () => {
    const id = randomBytes(4).toString('hex').toUpperCase();
    const v = await ctx.askOk('SESS', [id, 1]);
    const [boot, next] = v.split(' ');
    if (!/^[0-9A-Fa-f]{8}$/.test(boot ?? '') || next !== '1')
      ctx.handshakeProblems.push(`SESS ${id} 1 answered ${shown(v)}, not <boot-id> 1`);
    else ctx.bootId = boot;
  });
  await step('SYST:ERR?', async () => {
    for (let i = 0; i < 64; i++) if (/^0,/.test(await ctx.askOk('SYST:ERR?'))) return;
    ctx.handshakeProblems.push('SYST:ERR? never answered 0 after 64 errors');
  });
  await step('CONF?', async () => {
    const s = await ctx.session();
    ctx.initialConf = okValue(await s.request('CONF?'), 'CONF?');
  });
}

/** Put the board back as found: the readout configuration, and the chip idle (§6.3). */
async function restore(ctx: ConformanceContext, warnings: string[]): Promise<void> {
  if (ctx.wire.isLost) return;
  try {
    const s = await ctx.session();
    if (ctx.confChanged && ctx.initialConf !== undefined)
      okValue(
        await s.request('CONF', confArgsOf(parseConfValue(ctx.initialConf))),
        'CONF (restoring)',
      );
    okValue(await s.request('IDLE'), 'IDLE');
  } catch (e) {
    if (!(e instanceof CheckFailed || e instanceof CheckSkipped) && !ctx.wire.isLost) throw e;
    warnings.push(`could not restore the board: ${(e as Error).message}`);
  }
}

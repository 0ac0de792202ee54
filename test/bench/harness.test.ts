import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBenchError } from '../../drivers/driver.ts';
import { measureRate, meetsTarget, selectBenchmarks } from '../../src/bench/harness.ts';
import type { Benchmark } from '../../src/bench/harness.ts';
import { formatResults, runBench } from '../../src/bench/run-bench.ts';
import { benchmarks } from '../../src/bench/benchmarks/index.ts';

const fake = (name: string, value: number, target?: number, higherIsBetter = true): Benchmark => ({
  name,
  description: `fake ${name}`,
  run: () =>
    Promise.resolve({
      value,
      unit: 'x/s',
      higherIsBetter,
      ...(target !== undefined && { target }),
    }),
});

function sinks() {
  const io = { out: '', err: '' };
  return {
    io,
    ctx: {
      stdout: { write: (s: string) => (io.out += s) },
      stderr: { write: (s: string) => (io.err += s) },
    },
  };
}

describe('bench harness', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rram-bench-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the registry has unique dotted names and includes rng.normal_per_s', () => {
    const names = benchmarks.map((b) => b.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.includes('rng.normal_per_s'));
    for (const b of benchmarks) assert.match(b.name, /^[a-z0-9_]+(\.[a-z0-9_]+)+$/);
  });

  it('selects by prefix, and names an unmatched prefix and the available benchmarks', () => {
    const list = [fake('a.one', 1), fake('a.two', 1), fake('b.one', 1)];
    assert.deepEqual(
      selectBenchmarks(list, []).map((b) => b.name),
      ['a.one', 'a.two', 'b.one'],
    );
    assert.deepEqual(
      selectBenchmarks(list, ['a.']).map((b) => b.name),
      ['a.one', 'a.two'],
    );
    assert.deepEqual(
      selectBenchmarks(list, ['b', 'a.t']).map((b) => b.name),
      ['a.two', 'b.one'],
    );
    assert.throws(
      () => selectBenchmarks(list, ['zz']),
      (e) =>
        isBenchError(e, 'USAGE') &&
        /zz/.test(e.message) &&
        /a\.one, a\.two, b\.one/.test(e.message),
    );
    assert.throws(
      () => selectBenchmarks([fake('a.x', 1), fake('a.x', 2)], []),
      /registered twice: a\.x/,
    );
  });

  it('judges targets in the direction of higherIsBetter', () => {
    assert.equal(meetsTarget({ value: 5, unit: '', higherIsBetter: true }), undefined);
    assert.equal(meetsTarget({ value: 5, unit: '', higherIsBetter: true, target: 4 }), true);
    assert.equal(meetsTarget({ value: 5, unit: '', higherIsBetter: true, target: 6 }), false);
    assert.equal(meetsTarget({ value: 5, unit: '', higherIsBetter: false, target: 6 }), true);
    assert.equal(meetsTarget({ value: 5, unit: '', higherIsBetter: false, target: 4 }), false);
  });

  it('prints an aligned table with pass/FAIL where a target exists', () => {
    const table = formatResults({
      'a.fast': { value: 1234567, unit: 'x/s', higherIsBetter: true, target: 1000 },
      'a.mem': { value: 9, unit: 'MiB', higherIsBetter: false, target: 8 },
      'a.info': { value: 0.5, unit: 'x', higherIsBetter: true },
    });
    const lines = table.split('\n');
    assert.match(lines[0]!, /^benchmark +value +unit +target +result$/);
    assert.match(table, /a\.fast +1,235,000 +x\/s +≥ 1,000 +pass/);
    assert.match(table, /a\.mem +9 +MiB +≤ 8 +FAIL/);
    assert.match(table, /a\.info +0\.5 +x$/m);
    const valueEnds = lines.slice(2).map((l) => /^\S+ +\S+/.exec(l)![0].length);
    assert.equal(new Set(valueEnds).size, 1, 'values are right-aligned');
  });

  it('writes one JSON object keyed by name and exits 1 when a target is missed', async () => {
    const out = join(dir, 'nested', 'missed.json');
    const { ctx, io } = sinks();
    const code = await runBench(['--out', out], ctx, [fake('t.ok', 10, 5), fake('t.miss', 1, 5)]);
    assert.equal(code, 1, io.err);
    const json = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), ['t.ok', 't.miss']);
    assert.deepEqual(json['t.ok'], { value: 10, unit: 'x/s', higherIsBetter: true, target: 5 });
  });

  it('exits 1 when a benchmark throws, and still runs and writes the others', async () => {
    const out = join(dir, 'threw.json');
    const { ctx, io } = sinks();
    const broken: Benchmark = {
      name: 't.broken',
      description: '',
      run: () => Promise.reject(new Error('kaput')),
    };
    const code = await runBench(['--out', out], ctx, [broken, fake('t.ok', 1)]);
    assert.equal(code, 1);
    assert.match(io.err, /t\.broken failed: .*kaput/);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(out, 'utf8')) as object), ['t.ok']);
  });

  it('exits 0 when all targets are met; --list lists without running', async () => {
    const { ctx } = sinks();
    assert.equal(
      await runBench(['--out', join(dir, 'ok.json')], ctx, [
        fake('t.ok', 10, 5),
        fake('t.info', 1),
      ]),
      0,
    );
    const listed = sinks();
    let ran = false;
    const spy: Benchmark = {
      ...fake('t.spy', 1),
      run: () => ((ran = true), Promise.resolve({ value: 1, unit: '', higherIsBetter: true })),
    };
    assert.equal(await runBench(['--list'], listed.ctx, [spy]), 0);
    assert.match(listed.io.out, /t\.spy +fake t\.spy/);
    assert.equal(ran, false);
  });

  it('bad arguments exit 2', async () => {
    const { ctx, io } = sinks();
    assert.equal(await runBench(['--only', 'nothing'], ctx, [fake('t.ok', 1)]), 2);
    assert.match(
      io.err,
      /error \[USAGE\]: --only nothing matches no benchmark \(available: t\.ok\)/,
    );
    assert.equal(await runBench(['--bogus'], ctx, [fake('t.ok', 1)]), 2);
    assert.match(io.err, /unknown option --bogus/);
  });

  it('measureRate counts exactly the units of the timed batches, after the warm-up, and their time', async () => {
    // Each unit costs at least 0.2 ms of busy work (timed by the batch itself), so no honest
    // measurement can exceed 5,000 units/s, however loaded the machine.
    const unitMs = 0.2;
    const calls: { n: number; ms: number }[] = [];
    const t0 = performance.now();
    const rate = await measureRate(
      (n) => {
        const start = performance.now();
        while (performance.now() - start < n * unitMs);
        calls.push({ n, ms: performance.now() - start });
      },
      { minTimeMs: 40, warmupMs: 10 },
    );
    const wallS = (performance.now() - t0) / 1000;
    // The batch doubles from 1 during the warm-up and never shrinks.
    assert.equal(calls[0]!.n, 1);
    for (let i = 1; i < calls.length; i++)
      assert.ok(
        calls[i]!.n === calls[i - 1]!.n || calls[i]!.n === 2 * calls[i - 1]!.n,
        `call ${i}: ${calls[i - 1]!.n} → ${calls[i]!.n}`,
      );
    // The units reported are those of a run of trailing calls, not including the first call
    // (the warm-up always makes at least one).
    let k = calls.length;
    let suffix = 0;
    while (k > 1 && suffix < rate.units) suffix += calls[--k]!.n;
    assert.equal(suffix, rate.units, `units ${rate.units} vs the trailing calls`);
    assert.ok(k >= 1, 'the warm-up call is not counted');
    const timedMs = calls.slice(k).reduce((a, c) => a + c.ms, 0);
    assert.ok(rate.seconds >= 0.04, `timed ${rate.seconds} s, at least minTimeMs`);
    assert.ok(
      rate.seconds * 1000 >= timedMs - 1e-6,
      `${rate.seconds} s vs ${timedMs} ms in batches`,
    );
    assert.ok(rate.seconds <= wallS, `${rate.seconds} s within the ${wallS} s the call took`);
    assert.ok(
      rate.perS <= 1000 / unitMs,
      `perS ${rate.perS} exceeds the possible ${1000 / unitMs}`,
    );
    assert.ok(Math.abs(rate.perS * rate.seconds - rate.units) < 1e-6 * rate.units);
  });
});

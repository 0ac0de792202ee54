import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { isBenchError } from '../../drivers/driver.ts';
import { report } from '../../src/cli/report.ts';
import { buildReport } from '../../src/report/build-report.ts';
import type { BuiltReport } from '../../src/report/build-report.ts';
import { Store } from '../../src/store/store.ts';
import { repoRoot } from '../cli/run-cli.ts';
import {
  CLOSED_LOOP_STAGES,
  constructClosedLoopRun,
  quietContext,
  runCampaign,
  tempDir,
} from './report-runs.ts';

/** Build the report of `uuids` from `db`. */
async function reportOf(db: string, ...uuids: string[]): Promise<BuiltReport> {
  const reader = Store.openReader(db);
  try {
    return await buildReport(
      reader,
      uuids.map((u) => reader.findRun(u)),
      { softwareVersion: '9.9.9-test' },
    );
  } finally {
    reader.close();
  }
}

const ids = (r: BuiltReport) => r.figures.map((f) => f.figure.id);
const svgOf = (r: BuiltReport, id: string) => {
  const f = r.figures.find((x) => x.figure.id.startsWith(id));
  assert.ok(f, `figure ${id} in ${ids(r).join(', ')}`);
  return f.svg;
};
/** Values of the inline data of a figure's spec. */
const dataOf = (r: BuiltReport, id: string) =>
  (r.figures.find((x) => x.figure.id === id)!.figure.spec as { data: { values: unknown[] } }).data
    .values;

/** Width, height and raw scanlines of a palette PNG. */
function decodePng(png: Buffer): { width: number; height: number; rows: Uint8Array[] } {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('latin1');
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rows = Array.from({ length: height }, (_, r) =>
    raw.subarray(r * (width + 1) + 1, (r + 1) * (width + 1)),
  );
  return { width, height, rows };
}

describe('rram-bench report', function () {
  this.timeout(180_000);
  let dir: string;
  let db: string;
  let demo: string;
  let pareto: string;
  let closedLoop: string;
  let demoReport: BuiltReport;

  before(async () => {
    dir = tempDir();
    db = join(dir, 'runs.db');
    demo = await runCampaign(db, 'demo');
    pareto = await runCampaign(db, 'precision-pareto');
    closedLoop = constructClosedLoopRun(db);
    demoReport = await reportOf(db, demo);
  });

  it("draws the demo run's maps, programming, transfer, relaxation and read-noise figures", () => {
    const got = ids(demoReport);
    for (const id of [
      'heatmap-0-4-program-prototypes',
      'programming-error',
      'pulses-per-cell',
      'transfer-curves',
      'relaxation',
      'read-noise',
    ])
      assert.ok(got.includes(id), `figure ${id} in ${got.join(', ')}`);
    // One infer step is not a sweep, and the demo has no closed loop.
    assert.ok(!got.includes('pareto'), 'no Pareto view for a single inference');
    assert.ok(!got.includes('accuracy-per-stage'), 'no closed-loop panel without accuracy.<stage>');
  });

  it('histograms every programmed cell of the run', () => {
    const reader = Store.openReader(db);
    const cells = reader.counts(reader.findRun(demo).id).cells;
    reader.close();
    assert.ok(cells > 0);
    for (const id of ['programming-error', 'pulses-per-cell']) {
      const bins = dataOf(demoReport, id) as { count: number }[];
      assert.equal(
        bins.reduce((a, b) => a + b.count, 0),
        cells,
        `${id}: every cell in one bin`,
      );
    }
    // Bars are drawn: at least a few paths inside the mark group.
    const bars = (svgOf(demoReport, 'programming-error').match(/role-mark[^>]*>(<path)/g) ?? [])
      .length;
    assert.ok(bars >= 1, `bars drawn: ${bars}`);
  });

  it('embeds each heat-map panel as a full-resolution PNG of the programmed region', () => {
    const svg = svgOf(demoReport, 'heatmap-');
    const urls = [...svg.matchAll(/href="data:image\/png;base64,([^"]+)"/g)].map((m) => m[1]!);
    assert.equal(urls.length, 3, 'target, measured, error');
    const pngs = urls.map((u) => decodePng(Buffer.from(u, 'base64')));
    for (const p of pngs) {
      // The demo programs rows 0–31 × cols 0–7: one pixel per cell.
      assert.equal(p.width, 8);
      assert.equal(p.height, 32);
    }
    // The target map is a two-level pattern: exactly two palette indices.
    const levels = new Set(pngs[0]!.rows.flatMap((r) => [...r]));
    assert.equal(levels.size, 2, `target levels ${[...levels].join(',')}`);
    // The measured map varies cell to cell.
    assert.ok(new Set(pngs[1]!.rows.flatMap((r) => [...r])).size > 10, 'measured map varies');
  });

  it('is self-contained: no script, no external resource, metadata and campaign text inside', () => {
    const html = demoReport.html;
    assert.ok(!/<script/i.test(html), 'no script');
    const urls = [...html.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^"' <)]*/gi)].map(
      (m) => m[0],
    );
    const external = urls.filter((u) => !/^http:\/\/www\.w3\.org\//.test(u));
    assert.deepEqual(external, [], 'only SVG namespace URIs');
    assert.ok(!/\b(?:src|href)="(?!data:|#)/.test(html), 'every src/href is inline data');
    for (const text of [demo, 'EMU-00000001', 'rram-bench 0.1.0', '9.9.9-test', 'vlsi19-hfo2-256'])
      assert.ok(html.includes(text), `report mentions ${text}`);
    assert.ok(html.includes('kind: characterize'), 'campaign text included');
    assert.ok(html.includes('No link counters stored'), 'says why link counters are absent');
  });

  it('draws the closed loop: one bar per accuracy.<stage>, in stage order, with its value', async () => {
    const r = await reportOf(db, closedLoop);
    const svg = svgOf(r, 'accuracy-per-stage');
    let last = -1;
    for (const [stage, value] of CLOSED_LOOP_STAGES) {
      const at = svg.indexOf(`>${stage}</text>`);
      assert.ok(at > last, `stage ${stage} on the axis after the previous one`);
      last = at;
      assert.ok(svg.includes(`>${value.toFixed(3)}</text>`), `value ${value} labelled`);
    }
    const bars = dataOf(r, 'accuracy-per-stage');
    assert.equal(bars.length, CLOSED_LOOP_STAGES.length);
  });

  it("shows the precision sweep's trade-off: fewer bits, less energy and latency, lower accuracy", async () => {
    const r = await reportOf(db, pareto);
    const rows = dataOf(r, 'pareto') as {
      setting: string;
      bits: number;
      accuracy: number;
      energyNJ: number;
      latencyUs: number;
      frontEnergy: boolean;
      frontLatency: boolean;
    }[];
    const sweep = rows
      .filter((p) => / Vref 0\.1 V, Vth 0\.5 V, ±1 µS$/.test(p.setting))
      .sort((a, b) => a.bits - b.bits);
    assert.deepEqual(
      sweep.map((p) => p.bits),
      [1, 2, 3, 4, 5, 6, 8],
    );
    for (let i = 1; i < sweep.length; i++) {
      assert.ok(sweep[i]!.energyNJ > sweep[i - 1]!.energyNJ, `energy grows at ${sweep[i]!.bits} b`);
      assert.ok(
        sweep[i]!.latencyUs > sweep[i - 1]!.latencyUs,
        `latency grows at ${sweep[i]!.bits} b`,
      );
    }
    // 1 bit cannot separate 8 classes; 8 bits can.
    assert.ok(sweep[0]!.accuracy < sweep.at(-1)!.accuracy - 0.3, 'accuracy falls with bits');
    for (const front of ['frontEnergy', 'frontLatency'] as const) {
      const f = rows.filter((p) => p[front]).sort((a, b) => a.energyNJ - b.energyNJ);
      assert.ok(f.length >= 3, `${front}: a front of several settings`);
      // Along the front, paying more buys accuracy.
      for (let i = 1; i < f.length; i++)
        assert.ok(f[i]!.accuracy > f[i - 1]!.accuracy, `${front}: ${f[i]!.setting} more accurate`);
      assert.ok(f[0]!.bits === 1, `${front}: the cheapest setting is on the front`);
    }
    assert.ok(r.html.includes('Pareto-optimal settings'), 'table of the front');
  });

  it('--compare overlays runs: every run in the histograms, a heat-map per run', async () => {
    const r = await reportOf(db, demo, pareto);
    const series = new Set(
      (dataOf(r, 'programming-error') as { series: string }[]).map((x) => x.series.split(' · ')[0]),
    );
    assert.deepEqual(
      [...series].sort(),
      [demo.slice(0, 8), pareto.slice(0, 8)].map((u) => `${u} EMU-00000001`).sort(),
    );
    const maps = ids(r).filter((i) => i.startsWith('heatmap-'));
    assert.ok(
      maps.some((m) => m.includes(demo.slice(0, 8))) &&
        maps.some((m) => m.includes(pareto.slice(0, 8))),
      `heat-maps of both runs: ${maps.join(', ')}`,
    );
  });

  it('the command writes the HTML and one PNG per figure', async () => {
    const out = join(dir, 'demo.html');
    const png = join(dir, 'png');
    const ctx = quietContext();
    assert.equal(
      await report.run([demo.slice(0, 8), '--db', db, '--out', out, '--png', png], ctx),
      0,
    );
    assert.ok(readFileSync(out, 'utf8').startsWith('<!DOCTYPE html>'));
    const files = readdirSync(png).sort();
    assert.deepEqual(
      files,
      ids(demoReport)
        .map((i) => `${i}.png`)
        .sort(),
    );
    for (const f of files) {
      const p = readFileSync(join(png, f));
      assert.equal(p.subarray(1, 4).toString('latin1'), 'PNG', f);
      assert.ok(p.length > 2000, `${f} has content (${p.length} B)`);
    }
  });

  it('refuses bad arguments with USAGE', async () => {
    const cases = [[], ['--out', 'x.html'], [demo], ['--compare', demo, '--out', 'x.html']];
    for (const args of cases)
      await assert.rejects(
        report.run([...args, '--db', db], quietContext()),
        (e) => isBenchError(e) && e.code === 'USAGE',
        `report ${args.join(' ')}`,
      );
  });

  it('reads a database in a directory it cannot write, leaving nothing beside it', async function () {
    const parent = tempDir();
    chmodSync(parent, 0o755);
    const ro = join(parent, 'ro');
    mkdirSync(ro);
    copyFileSync(db, join(ro, 'runs.db'));
    chmodSync(join(ro, 'runs.db'), 0o444);
    chmodSync(ro, 0o555);
    const outDir = tempDir();
    chmodSync(outDir, 0o777);
    const out = join(outDir, 'ro.html');
    const root = process.getuid?.() === 0;
    if (root) {
      // Root writes anywhere: run the command as `nobody`, for whom the directory is read-only.
      if (!existsSync('/usr/bin/setpriv')) {
        this.test!.title += ' — pending: running as root without setpriv to drop privileges';
        this.skip();
      }
      execFileSync(
        '/usr/bin/setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          process.execPath,
          'bin/rram-bench.js',
          'report',
          demo,
          '--db',
          join(ro, 'runs.db'),
          '--out',
          out,
        ],
        { cwd: repoRoot, stdio: 'pipe', env: { ...process.env, HOME: outDir } },
      );
    } else {
      assert.equal(
        await report.run([demo, '--db', join(ro, 'runs.db'), '--out', out], quietContext()),
        0,
      );
    }
    assert.ok(statSync(out).size > 10_000, 'report written');
    assert.deepEqual(readdirSync(ro), ['runs.db'], 'no -wal or -shm created');
    assert.ok(readFileSync(out, 'utf8').includes('heatmap-0-4-program-prototypes'));
  });
});

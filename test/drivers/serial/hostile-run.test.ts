/**
 * The must-show of issue 11: `rram-bench run` of the demo campaign over a pseudo-terminal board
 * on the virtual clock, through a hostile link — 1e-4 corrupted bytes with 1% dropped and 1%
 * duplicated lines each way and an unplug, and 1e-3 corrupted bytes with 5% dropped lines each
 * way — finishes, stores exactly the clean run's results, and the board's pulse log shows every
 * FORM, PROG and PULSE line executed exactly once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EmulatorDriver } from '../../../drivers/emulator/emulator-driver.ts';
import type { Firmware } from '../../../drivers/serial/board/firmware.ts';
import type { LinkFaults } from '../../../drivers/serial/faults/faults.ts';
import { startPty } from '../../../drivers/serial/transport/transports.ts';
import { needsSocat } from '../../needs-socat.ts';
import { runCli, runNode } from '../../cli/run-cli.ts';
import type { Ran } from '../../cli/run-cli.ts';

/** `rram-bench …` with a budget for a slow machine (a hostile run may take minutes). */
function runLong(...args: string[]): Promise<Ran> {
  return runNode(['bin/rram-bench.js', ...args], 400_000);
}

/** Everything a run stored that a link must not change, as comparable text. */
function storedResults(db: string): string[] {
  const d = new Database(db, { readonly: true });
  try {
    const q = (sql: string) =>
      d
        .prepare(sql)
        .raw()
        .all()
        .map((r) =>
          JSON.stringify(r, (_k, v: unknown) =>
            Buffer.isBuffer(v) ? v.toString('base64') : (v as object),
          ),
        );
    return [
      ...q(
        `SELECT s.idx, m.unit, m.label, m.row0, m.col0, m.rows, m.cols, m.average, m.chip_time_s, m.micro_s
         FROM conductance_maps m JOIN steps s ON s.id = m.step_id ORDER BY s.idx, m.unit, m.label`,
      ),
      ...q(
        `SELECT s.idx, p.unit, p.row, p.col, p.target_micro_s, p.final_micro_s, p.pulses, p.converged
         FROM program_cells p JOIN steps s ON s.id = p.step_id ORDER BY s.idx, p.row, p.col`,
      ),
      ...q(
        `SELECT s.idx, b.unit, b.first_sample, b.batch, b.inputs, b.counts, b.energy_j, b.latency_s
         FROM mvm_batches b JOIN steps s ON s.id = b.step_id ORDER BY s.idx, b.unit, b.first_sample`,
      ),
      ...q(
        `SELECT s.idx, n.model_json FROM noise_models n JOIN steps s ON s.id = n.step_id ORDER BY s.idx`,
      ),
      ...q(
        `SELECT s.idx, m.name, m.value, m.unit FROM metrics m JOIN steps s ON s.id = m.step_id ORDER BY s.idx, m.name`,
      ),
      ...q(`SELECT idx, kind, status, summary_json FROM steps ORDER BY idx`),
    ];
  } finally {
    d.close();
  }
}

/** Assert equal result rows, naming the first differing fields (not dumping blobs). */
function sameResults(got: string[], want: string[], name: string): void {
  assert.equal(
    got.length,
    want.length,
    `${name}: ${got.length} result rows, clean run ${want.length}`,
  );
  const diffs: string[] = [];
  for (let i = 0; i < got.length; i++) {
    if (got[i] === want[i]) continue;
    const g = JSON.parse(got[i]!) as unknown[];
    const w = JSON.parse(want[i]!) as unknown[];
    const fields = g.flatMap((v, k) => (JSON.stringify(v) === JSON.stringify(w[k]) ? [] : [k]));
    diffs.push(
      `row ${i} ${JSON.stringify(w.slice(0, 3))}: fields ${fields.join(',')} e.g. ${JSON.stringify(g[fields[0]!]).slice(0, 60)} vs ${JSON.stringify(w[fields[0]!]).slice(0, 60)}`,
    );
  }
  assert.equal(
    diffs.length,
    0,
    `${name}: ${diffs.length} rows differ from the clean run:\n${diffs.slice(0, 8).join('\n')}`,
  );
}

/**
 * What the board applied, cell by cell: FORM, PROG and PULSE lines executed exactly once (none
 * refused), as (verb, cell, pulses) in execution order. A noisy link may cut a row into more
 * segments (more lines), never change what each cell received or in which order.
 */
function pulseLines(fw: Firmware): string[] {
  const log = fw.pulseLog.filter((e) => ['FORM', 'PROG', 'PULSE'].includes(e.verb));
  const lines = log.map((e) => e.line);
  assert.equal(new Set(lines).size, lines.length, 'a FORM/PROG/PULSE line ran twice');
  for (const e of log) assert.equal(e.code, 0, `${e.line.slice(0, 40)} was refused`);
  return log.flatMap((e) => e.cells.map((c, k) => `${e.verb} ${c} ${e.cellPulses[k]}`));
}

interface Outcome {
  wallS: number;
  results: string[];
  pulses: string[];
  stdout: string;
  /** The run's stored link counters. */
  link: Record<string, number>;
  /** Link events stored with the run: step index and kind. */
  events: { step: number | null; kind: string }[];
  db: string;
}

function storedLink(db: string): Pick<Outcome, 'link' | 'events'> {
  const d = new Database(db, { readonly: true });
  try {
    const row = d.prepare('SELECT link_json FROM runs').get() as { link_json: string | null };
    assert.ok(row.link_json, 'the run stored its link counters');
    const events = d
      .prepare(
        "SELECT step_idx AS step, kind FROM events WHERE kind IN ('disconnected', 'reconnected', 'degraded', 'board-reset')",
      )
      .all() as { step: number | null; kind: string }[];
    return { link: JSON.parse(row.link_json) as Record<string, number>, events };
  } finally {
    d.close();
  }
}

async function demoRun(dir: string, name: string, faults?: LinkFaults): Promise<Outcome> {
  const chip = await EmulatorDriver.create({ seed: 7, clock: 'virtual' });
  const pty = await startPty(chip, faults ? { faults } : {});
  const db = join(dir, `${name}.db`);
  try {
    const t0 = performance.now();
    const r = await runLong(
      'run',
      'fixtures/campaigns/demo.yaml',
      '--port',
      pty.path,
      '--db',
      db,
      '--json',
      '--link-timeout',
      '250',
    );
    const wallS = (performance.now() - t0) / 1000;
    assert.equal(r.code, 0, `${name} run failed:\n${r.stderr}`);
    await pty.firmware.settled();
    return {
      wallS,
      results: storedResults(db),
      pulses: pulseLines(pty.firmware),
      stdout: r.stdout,
      ...storedLink(db),
      db,
    };
  } finally {
    await pty.close();
    await chip.close();
  }
}

describe('rram-bench run over a hostile link (pty, virtual time)', function () {
  this.timeout(600_000);
  let dir: string;
  let clean: Outcome | undefined;

  before(async function () {
    needsSocat(this);
    dir = mkdtempSync(join(tmpdir(), 'rram-hostile-'));
    clean = await demoRun(dir, 'clean');
    console.log(`      clean: ${clean.wallS.toFixed(1)} s`);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('1e-4 corrupted bytes, 1% dropped and 1% duplicated lines each way, one unplug', async function () {
    needsSocat(this);
    const f = { corruptRate: 1e-4, dropLineRate: 0.01, duplicateLineRate: 0.01 };
    const got = await demoRun(dir, 'noisy', {
      toBoard: { seed: 11, ...f, unplugAfterBytes: 20_000, replugAfterMs: 300 },
      toHost: { seed: 12, ...f },
    });
    console.log(
      `      noisy: ${got.wallS.toFixed(1)} s (${(got.wallS / clean!.wallS).toFixed(2)}× clean)`,
    );
    assert.deepEqual(got.pulses, clean!.pulses);
    sameResults(got.results, clean!.results, 'noisy');
    assert.ok(got.link.reconnects! >= 1, `one unplug, reconnected: ${JSON.stringify(got.link)}`);
    assert.ok(got.link.retries! > 0 && got.link.badLines! > 0, JSON.stringify(got.link));
    for (const e of got.events) assert.notEqual(e.step, null, `${e.kind} event without its step`);
    assert.ok(got.events.some((e) => e.kind === 'reconnected'));
    const runs = new Database(got.db, { readonly: true });
    const { uuid } = runs.prepare('SELECT uuid FROM runs').get() as { uuid: string };
    runs.close();
    const shown = await runCli('runs', 'show', '--db', got.db, uuid);
    assert.match(shown.stdout, /^link +\d+ replies, [1-9]\d* resends, .* [1-9]\d* reconnects/m);
  });

  it('1e-3 corrupted bytes, 5% dropped lines each way', async function () {
    needsSocat(this);
    const f = { corruptRate: 1e-3, dropLineRate: 0.05 };
    const got = await demoRun(dir, 'hostile', {
      toBoard: { seed: 21, ...f },
      toHost: { seed: 22, ...f },
    });
    console.log(
      `      hostile: ${got.wallS.toFixed(1)} s (${(got.wallS / clean!.wallS).toFixed(2)}× clean)`,
    );
    assert.deepEqual(got.pulses, clean!.pulses);
    sameResults(got.results, clean!.results, 'hostile');
    assert.ok(got.link.retries! > 0 && got.link.badLines! > 0, JSON.stringify(got.link));
    for (const e of got.events) assert.notEqual(e.step, null, `${e.kind} event without its step`);
  });
});

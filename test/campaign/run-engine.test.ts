/** The run engine: states, pause and resume, abort, failure, stop records, resume without repeats. */
import assert from 'node:assert/strict';
import { Subject, firstValueFrom } from 'rxjs';
import type { ChipDriver, LinkEvent } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import { openChip } from '../../drivers/factory.ts';
import { parseCampaign } from '../../src/campaign/parse-campaign.ts';
import { RunEngine } from '../../src/campaign/run-engine.ts';
import type { EngineOptions } from '../../src/campaign/run-engine.ts';
import type { RunRecord } from '../../src/campaign/run-record.ts';
import { Store } from '../../src/store/store.ts';
import { StoreRecorder } from '../../src/store/store-recorder.ts';
import { stepRunner, stepSeed } from '../../src/campaign/steps/step-runners.ts';

const text = `
name: engine-test
steps:
  - kind: identify
  - kind: form
    region: { row: 0, col: 0, rows: 6, cols: 4 }
  - kind: program
    region: { row: 0, col: 0, rows: 6, cols: 4 }
    pattern: { kind: checkerboard, low: 5, high: 30 }
    rowsPerUnit: 1
  - kind: read-map
    region: { row: 0, col: 0, rows: 6, cols: 4 }
`;

async function setup(wrap: (d: ChipDriver) => ChipDriver = (d) => d) {
  const driver = wrap(await openChip({ emulator: true, clock: 'virtual', seed: 4 }));
  const chip = await firstValueFrom(driver.identify());
  const plan = parseCampaign(text, 'engine-test.yaml');
  const store = Store.open(':memory:');
  const runId = store.createRun(
    {
      uuid: 'u-1',
      campaignName: plan.name,
      campaignText: text,
      chipId: store.upsertChip(chip),
      connection: 'emulator',
      softwareVersion: 'test',
    },
    plan.steps.map((p) => ({
      idx: p.idx,
      kind: p.step.kind,
      name: p.name,
      params: p.step,
      units: stepRunner(p, stepSeed(plan.seed, p.idx)).units,
    })),
  );
  const engine = (extra: Partial<EngineOptions> = {}) =>
    new RunEngine({
      driver,
      chip,
      plan,
      runUuid: 'u-1',
      recorder: new StoreRecorder(store, runId),
      ...extra,
    });
  return { driver, chip, plan, store, runId, engine };
}

function collect(engine: RunEngine): RunRecord[] {
  const out: RunRecord[] = [];
  engine.records.subscribe((r) => out.push(r));
  return out;
}

const states = (rs: RunRecord[]) => rs.flatMap((r) => (r.type === 'state' ? [r.state] : []));

describe('RunEngine', () => {
  it("writes the driver's link events (unplug, replug) into the run log", async () => {
    const link = new Subject<LinkEvent>();
    const { engine, store, runId, driver } = await setup((d) =>
      Object.assign(Object.create(d) as ChipDriver, { linkEvents: link.asObservable() }),
    );
    const e = engine();
    e.records.subscribe((r) => {
      if (r.type === 'checkpoint' && r.idx === 2 && r.unit === 2) {
        link.next({
          kind: 'disconnected',
          message: 'lost /dev/ttyX; reconnecting',
          port: '/dev/ttyX',
        });
        link.next({ kind: 'reconnected', message: '/dev/ttyX: link back', port: '/dev/ttyX' });
      }
    });
    assert.equal((await e.run()).status, 'completed');
    const kinds = store.reader.events(runId).map((ev) => ev.kind);
    assert.ok(kinds.includes('disconnected') && kinds.includes('reconnected'), kinds.join(','));
    await driver.close();
  });

  it('runs every step and ends with a completed stop record', async () => {
    const { engine, store, runId, driver } = await setup();
    const e = engine();
    const rs = collect(e);
    const stop = await e.run();
    assert.equal(stop.status, 'completed');
    assert.deepEqual(states(rs), ['running', 'completed']);
    assert.equal(rs[rs.length - 1]!.type, 'stop');
    const run = store.reader.findRun('u-1');
    assert.equal(run.status, 'completed');
    assert.equal(store.reader.counts(runId).cells, 24);
    assert.deepEqual(
      store.reader.steps(runId).map((s) => [s.status, s.checkpoint]),
      [
        ['completed', 1],
        ['completed', 1],
        ['completed', 6],
        ['completed', 1],
      ],
    );
    await driver.close();
  });

  it('pauses between units and resumes', async () => {
    const { engine, driver } = await setup();
    const e = engine();
    const rs: RunRecord[] = [];
    e.records.subscribe((r) => {
      rs.push(r);
      if (r.type === 'checkpoint' && r.idx === 2 && r.unit === 1) e.pause();
      if (r.type === 'state' && r.state === 'paused') {
        const before = rs.filter((x) => x.type === 'checkpoint').length;
        setImmediate(() => {
          assert.equal(
            rs.filter((x) => x.type === 'checkpoint').length,
            before,
            'no work while paused',
          );
          e.resume();
        });
      }
    });
    const stop = await e.run();
    assert.equal(stop.status, 'completed');
    assert.deepEqual(states(rs), ['running', 'pausing', 'paused', 'running', 'completed']);
    await driver.close();
  });

  it('a step’s duration leaves out the time it spent paused', async () => {
    const { engine, driver } = await setup();
    const e = engine();
    const PAUSE_MS = 300;
    let started = 0;
    let ended = 0;
    let ms = NaN;
    e.records.subscribe((r) => {
      if (r.type === 'step-start' && r.idx === 2) started = performance.now();
      if (r.type === 'checkpoint' && r.idx === 2 && r.unit === 1) e.pause();
      // Stay paused for a known time: this is the interval the duration must leave out.
      if (r.type === 'state' && r.state === 'paused') setTimeout(() => e.resume(), PAUSE_MS);
      if (r.type === 'step-end' && r.idx === 2) {
        ended = performance.now();
        ms = r.ms;
      }
    });
    assert.equal((await e.run()).status, 'completed');
    const wall = ended - started;
    assert.ok(wall >= PAUSE_MS, `the step took ${wall} ms of wall time`);
    assert.ok(
      ms <= wall - PAUSE_MS + 1,
      `duration ${ms} ms includes the ${PAUSE_MS} ms pause (wall ${wall} ms)`,
    );
    await driver.close();
  });

  it('abort stops between units, leaves the chip idle and writes an aborted stop record', async () => {
    let idles = 0;
    const { engine, store, runId, driver } = await setup((d) =>
      Object.assign(Object.create(d) as ChipDriver, {
        idle: () => {
          idles++;
          return d.idle();
        },
      }),
    );
    const e = engine();
    const rs: RunRecord[] = [];
    e.records.subscribe((r) => {
      rs.push(r);
      if (r.type === 'checkpoint' && r.idx === 2 && r.unit === 2) e.abort('test abort');
    });
    const stop = await e.run();
    assert.deepEqual(stop, {
      type: 'stop',
      status: 'aborted',
      reason: 'test abort',
      code: 'ABORTED',
    });
    assert.ok(idles >= 1, 'the chip was set idle');
    assert.ok(states(rs).includes('aborting'));
    assert.equal(store.reader.findRun('u-1').status, 'aborted');
    const program = store.reader.steps(runId)[2]!;
    assert.deepEqual([program.status, program.checkpoint], ['aborted', 3]);
    assert.equal(store.reader.counts(runId).cells, 12);
    assert.ok(store.reader.events(runId).some((ev) => ev.kind === 'stop' && ev.code === 'ABORTED'));
    await driver.close();
  });

  it('a failing step ends the run failed, with its error code, and the chip idle', async () => {
    // Reads fail from the read-map step on (the program step reads too, to verify).
    let failing = false;
    const { engine, store, runId, driver } = await setup((d) =>
      Object.assign(Object.create(d) as ChipDriver, {
        read: (req: Parameters<ChipDriver['read']>[0]) => {
          if (failing) throw new BenchError('DEVICE', 'the board answered ERR 7');
          return d.read(req);
        },
      }),
    );
    const e = engine();
    e.records.subscribe((r) => {
      if (r.type === 'step-start' && r.idx === 3) failing = true;
    });
    const stop = await e.run();
    assert.equal(stop.status, 'failed');
    assert.equal(stop.code, 'DEVICE');
    const run = store.reader.findRun('u-1');
    assert.deepEqual([run.status, run.error_code], ['failed', 'DEVICE']);
    assert.equal(store.reader.steps(runId)[3]!.status, 'failed');
    assert.equal(
      store.reader.counts(runId).cells,
      24,
      'programmed cells before the failure are kept',
    );
    await driver.close();
  });

  it('resumes an aborted run without repeating committed units (skip mode: the chip kept its state)', async () => {
    // Rows the board's write-verify verb was asked to program (the pipeline's board path).
    const programmed = new Set<number>();
    const { engine, store, runId, driver } = await setup((d) =>
      Object.assign(Object.create(d) as ChipDriver, {
        program: (req: Parameters<ChipDriver['program']>[0]) => {
          for (let r = 0; r < req.region.rows; r++) programmed.add(req.region.row + r);
          return d.program(req);
        },
      }),
    );
    const first = engine();
    first.records.subscribe((r) => {
      if (r.type === 'checkpoint' && r.idx === 2 && r.unit === 3) first.abort();
    });
    assert.equal((await first.run()).status, 'aborted');
    assert.deepEqual([...programmed].sort(), [0, 1, 2, 3]);
    programmed.clear();
    store.resumeRun(runId, 'test resume');
    const steps = store.reader.steps(runId);
    const second = engine({
      resume: {
        replay: false,
        steps: new Map(
          steps.map((s) => [
            s.idx,
            { completed: s.status === 'completed', checkpoint: s.checkpoint },
          ]),
        ),
        committed: (idx) => store.reader.unitMeasurements(runId, idx).map((u) => u.measurement),
      },
    });
    const rs = collect(second);
    assert.equal((await second.run()).status, 'completed');
    assert.deepEqual([...programmed].sort(), [4, 5], 'only the two remaining rows were programmed');
    assert.equal(store.reader.counts(runId).cells, 24);
    const end = rs.find((r) => r.type === 'step-end' && r.idx === 2);
    assert.equal(
      end?.type === 'step-end' && end.summary.cells,
      24,
      'the aggregate covers committed units too',
    );
    assert.equal(store.reader.findRun('u-1').resumes, 1);
    await driver.close();
  });

  it('a store that cannot commit stops the run (failed)', async () => {
    const { engine, store, driver } = await setup();
    const e = engine({
      recorder: {
        record: (r) => {
          if (r.type === 'checkpoint' && r.idx === 2) throw new BenchError('IO', 'disk full');
        },
      },
    });
    const stop = await e.run();
    assert.deepEqual([stop.status, stop.code], ['failed', 'IO']);
    store.close();
    await driver.close();
  });
});

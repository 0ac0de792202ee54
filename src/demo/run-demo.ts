/**
 * The demo job (what `npm start` runs until the campaign engine exists): identify the chip,
 * form and write-verify a 64×64 region to a pattern, read it back, run a batch of MVMs, and
 * compute the datasheet figures.
 *
 * It is a stream of typed events, not printing: the CLI's plain reporter turns them into log
 * lines, `--json` collects the final report, and the terminal UI (a later issue) will subscribe
 * to the same stream. Unsubscribing cancels the chip operation in flight.
 */
import { Observable } from 'rxjs';
import type { ChipDriver, ChipInfo, ReadoutConfig } from '../../drivers/driver.ts';
import { datasheetFor } from '../../drivers/factory.ts';
import type { Datasheet } from '../../drivers/factory.ts';
import { observe } from '../pipeline/observe.ts';
import { patternTargets, randomInputs, summarize } from './demo-data.ts';
import type { Summary } from './demo-data.ts';

/** The demo's steps, in order. */
export const demoSteps = [
  'identify',
  'configure',
  'form',
  'program',
  'read',
  'mvm',
  'datasheet',
] as const;

/** One of the demo's steps. */
export type DemoStep = (typeof demoSteps)[number];

/** Options of the demo. */
export interface DemoOptions {
  /** Side of the square region programmed and multiplied (cells). Default 64. */
  size?: number;
  /** Write-verify tolerance (µS). Default 1. */
  toleranceMicroS?: number;
  /** Input vectors in the MVM batch. Default 256. */
  batch?: number;
  /** Seed of the random input vectors. Default 1. */
  seed?: number;
}

/** Everything the demo measured. */
export interface DemoReport {
  chip: ChipInfo;
  readout: ReadoutConfig;
  region: { row: number; col: number; rows: number; cols: number };
  form: { cells: number; formed: number; pulsesMean: number };
  program: { toleranceMicroS: number; converged: number; pulsesMean: number; pulsesMax: number };
  read: { average: number; withinTolerance: number; errorRmsMicroS: number };
  mvm: {
    batch: number;
    precisionBits: number;
    counts: Summary;
    saturatedFraction: number;
    energyJ: number;
    chipTimeS: number;
    pjPerMac: number;
    hostMvmPerS: number;
  };
  datasheet: Datasheet | undefined;
  /** Wall time per step (ms). */
  stepMs: Record<DemoStep, number>;
}

/** What the demo emits: a step finished, progress within a step, and finally the report. */
export type DemoEvent =
  | {
      kind: 'step';
      step: DemoStep;
      index: number;
      total: number;
      ms: number;
      report: Partial<DemoReport>;
    }
  | { kind: 'progress'; step: DemoStep; done: number; total: number }
  | { kind: 'done'; report: DemoReport };

/** The demo on `driver`, as a cold stream of events. */
export function runDemo(driver: ChipDriver, options: DemoOptions = {}): Observable<DemoEvent> {
  return new Observable<DemoEvent>((subscriber) => {
    const abort = new AbortController();
    demo(driver, options, abort.signal, (e) => subscriber.next(e)).then(
      (report) => {
        subscriber.next({ kind: 'done', report });
        subscriber.complete();
      },
      (e: unknown) => subscriber.error(e),
    );
    return () => abort.abort();
  });
}

async function demo(
  driver: ChipDriver,
  options: DemoOptions,
  signal: AbortSignal,
  emit: (e: DemoEvent) => void,
): Promise<DemoReport> {
  const r: Partial<DemoReport> = {};
  const stepMs: Partial<Record<DemoStep, number>> = {};
  let index = 0;
  const step = async (name: DemoStep, fn: () => Promise<void>) => {
    const t0 = performance.now();
    await fn();
    stepMs[name] = performance.now() - t0;
    emit({
      kind: 'step',
      step: name,
      index: ++index,
      total: demoSteps.length,
      ms: stepMs[name],
      report: r,
    });
  };

  let chip!: ChipInfo;
  await step('identify', async () => {
    chip = r.chip = await observe(driver.identify(), { signal, first: true });
  });
  const bits = Math.min(8, chip.precisionBits.max);
  await step('configure', async () => {
    // Lowest Vref and highest Vth: 64 rows of random 8-bit inputs on 1–40 µS cells would
    // otherwise saturate every column; at these settings the counts land mid-range.
    const { readV, vthV } = chip.limits;
    r.readout = await observe(
      driver.configure({ precisionBits: bits, mode: 'COUNT', readV: readV.min, vthV: vthV.max }),
      { signal },
    );
  });

  const size = Math.min(options.size ?? 64, chip.rows, chip.cols);
  const region = (r.region = { row: 0, col: 0, rows: size, cols: size });
  const cells = size * size;
  await step('form', async () => {
    const f = await observe(driver.form({ region }), { signal });
    r.form = { cells, formed: sum(f.formed), pulsesMean: sum(f.pulses) / cells };
  });

  const tolerance = options.toleranceMicroS ?? 1;
  const window = chip.conductanceWindowMicroS;
  const targets = patternTargets(size, Math.max(1, window.min), Math.min(40, window.max));
  await step('program', async () => {
    const event = await observe(
      driver.program({ region, targetsMicroS: targets, toleranceMicroS: tolerance }),
      {
        signal,
        next: (e) => {
          if (e.kind === 'progress')
            emit({ kind: 'progress', step: 'program', done: e.rowsDone, total: e.rowsTotal });
        },
      },
    );
    if (event.kind !== 'result') throw new Error('program completed without a result');
    const p = event.result;
    r.program = {
      toleranceMicroS: tolerance,
      converged: sum(p.converged) / cells,
      pulsesMean: sum(p.pulses) / cells,
      pulsesMax: Math.max(...p.pulses),
    };
  });

  await step('read', async () => {
    const average = Math.min(4, chip.limits.maxReadAverage);
    const map = await observe(driver.read({ region, average }), { signal, first: true });
    let within = 0;
    let sq = 0;
    for (let i = 0; i < cells; i++) {
      const err = map.microS[i]! - targets[i]!;
      if (Math.abs(err) <= tolerance) within++;
      sq += err * err;
    }
    r.read = {
      average,
      withinTolerance: within / cells,
      errorRmsMicroS: Math.sqrt(sq / cells),
    };
  });

  await step('mvm', async () => {
    const batch = options.batch ?? 256;
    const rows = Array.from({ length: size }, (_, i) => region.row + i);
    const cols = Array.from({ length: size }, (_, j) => region.col + j);
    const inputs = randomInputs(batch, size, bits, options.seed ?? 1);
    const counts = new Uint8Array(batch * size);
    const chunk = Math.max(1, chip.limits.maxMvmBatch);
    let energyJ = 0;
    let chipTimeS = 0;
    const t0 = performance.now();
    for (let b = 0; b < batch; b += chunk) {
      const n = Math.min(chunk, batch - b);
      const part = inputs.subarray(b * size, (b + n) * size);
      const res = await observe(driver.mvm({ rows, cols, inputs: part }), { signal, first: true });
      counts.set(res.values, b * size);
      energyJ += res.energyJ;
      chipTimeS += res.latencyS;
    }
    const hostS = (performance.now() - t0) / 1000;
    const full = (1 << bits) - 1;
    r.mvm = {
      batch,
      precisionBits: bits,
      counts: summarize(counts),
      saturatedFraction: counts.reduce((acc, c) => acc + (c >= full ? 1 : 0), 0) / counts.length,
      energyJ,
      chipTimeS,
      pjPerMac: (energyJ / (batch * cells)) * 1e12,
      hostMvmPerS: batch / hostS,
    };
  });

  await step('datasheet', () => {
    r.datasheet = datasheetFor(chip.model, { precisionBits: bits });
    return Promise.resolve();
  });
  return { ...r, stepMs } as DemoReport;
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

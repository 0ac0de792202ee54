/**
 * What a report shows of one run, read from the store and reduced to plain rows: conductance
 * grids (target, measured, error), per-cell programming results, transfer-curve points, relaxation
 * per conductance band, the read-noise model, closed-loop accuracies and the sweep's points.
 * Pure data: the figures (src/report/figure-specs.ts) turn it into Vega-Lite specs.
 */
import type { Region } from '../../drivers/driver.ts';
import type { EventRow, RunReader, RunRow, StepRow, StoredMap } from '../store/run-reader.ts';
import { sweepPoints } from './sweep-points.ts';
import type { SweepPoint } from './sweep-points.ts';

/** A conductance grid of one program step (row-major, NaN where no cell was programmed). */
export interface Grid {
  /** Step the grid belongs to, e.g. `4 program prototypes`. */
  step: string;
  /** Region covered (chip coordinates). */
  region: Region;
  /** Targets (µS). */
  target: Float32Array;
  /** Measured conductance (µS): the read-back map after the step, else the last verify. */
  measured: Float32Array;
  /** Where `measured` comes from: `read-map` or `verify`. */
  measuredFrom: 'read-map' | 'verify';
}

/** The programmed cells of one step, for the histograms. */
export interface CellSet {
  step: string;
  /** Final − target of each cell (µS). */
  errorMicroS: Float32Array;
  /** Pulses applied to each cell. */
  pulses: Uint16Array;
}

/** One point of an IFC transfer curve: a column's charge and the count it produced. */
export interface TransferRow {
  /** Readout setting, e.g. `6 bit, Vref 0.1 V, Vth 0.5 V`. */
  setting: string;
  /** Σ_i G_ij · pulses_i (µS·pulses) from the measured map and the vector's input pulses. */
  chargeMicroSPulses: number;
  /** Spike count read. */
  count: number;
}

/** σ of the conductance change of one band at one time after programming. */
export interface RelaxationRow {
  /** `characterize` (noise model, read noise removed) or `retention` (raw maps). */
  source: string;
  /** Band label, e.g. `8.2 µS`. */
  band: string;
  /** Band centre (µS). */
  bandMicroS: number;
  /** Time after programming (s). */
  timeS: number;
  /** σ of G(t) − G(programmed) (µS). */
  sigmaMicroS: number;
}

/** Read-noise σ of one read at a conductance, from a measured noise model. */
export interface ReadNoiseRow {
  source: string;
  gMicroS: number;
  sigmaMicroS: number;
}

/** An accuracy per closed-loop stage (`accuracy.<stage>` metrics). */
export interface StageAccuracy {
  stage: string;
  step: string;
  accuracy: number;
}

/** Everything a report draws of one run. */
export interface RunData {
  run: RunRow;
  /** Short label: uuid prefix and chip serial. */
  label: string;
  chip: { info: unknown; profile: string | null } | null;
  steps: StepRow[];
  events: EventRow[];
  counts: { maps: number; cells: number; batches: number; vectors: number };
  metrics: { step: string; name: string; value: number; unit: string }[];
  grids: Grid[];
  cells: CellSet[];
  transfer: TransferRow[];
  relaxation: RelaxationRow[];
  readNoise: ReadNoiseRow[];
  stages: StageAccuracy[];
  sweep: SweepPoint[];
}

/** Transfer-curve points kept per infer step (evenly spaced vectors), so large runs stay light. */
export const TRANSFER_POINTS_PER_STEP = 2000;
/** Conductance bands of the retention curves. */
export const RETENTION_BANDS = 5;
/** Closed-loop stages in the order they happen; others follow in the order stored. */
const STAGE_ORDER = ['software', 'naive', 'noiseAware', 'calibrated', 'finetune', 'final'];

const stepLabel = (s: StepRow) => `${s.idx} ${s.name}`;
const inside = (r: Region, row: number, col: number) =>
  row >= r.row && row < r.row + r.rows && col >= r.col && col < r.col + r.cols;
const covers = (a: Region, b: Region) =>
  a.row <= b.row &&
  a.col <= b.col &&
  a.row + a.rows >= b.row + b.rows &&
  a.col + a.cols >= b.col + b.cols;

/** Read one run's figures' data. */
export function readRunData(reader: RunReader, run: RunRow): RunData {
  const steps = reader.steps(run.id);
  const byIdx = new Map(steps.map((s) => [s.idx, s]));
  const name = (idx: number) => {
    const s = byIdx.get(idx);
    return s ? stepLabel(s) : String(idx);
  };
  const maps = reader.maps(run.id);
  const programs = reader.programs(run.id);
  const chip = reader.chip(run.id);

  const grids: Grid[] = [];
  const cells: CellSet[] = [];
  for (const p of programs) {
    const n = p.row.length;
    if (n === 0) continue;
    cells.push({
      step: name(p.stepIdx),
      errorMicroS: p.finalMicroS.map((f, i) => f - p.targetMicroS[i]!),
      pulses: p.pulses,
    });
    if (byIdx.get(p.stepIdx)?.kind !== 'program') continue;
    const [row0, row1] = extent(p.row);
    const [col0, col1] = extent(p.col);
    const region = { row: row0, col: col0, rows: row1 - row0 + 1, cols: col1 - col0 + 1 };
    const target = new Float32Array(region.rows * region.cols).fill(NaN);
    const measured = new Float32Array(region.rows * region.cols).fill(NaN);
    for (let i = 0; i < n; i++) {
      const k = (p.row[i]! - row0) * region.cols + p.col[i]! - col0;
      target[k] = p.targetMicroS[i]!;
      measured[k] = p.finalMicroS[i]!;
    }
    // The first read-back after this program step (before any other program step) that covers it.
    const nextProgram = programs.find((q) => q.stepIdx > p.stepIdx)?.stepIdx ?? Infinity;
    const read = maps.find(
      (m) =>
        m.stepIdx > p.stepIdx &&
        m.stepIdx < nextProgram &&
        byIdx.get(m.stepIdx)?.kind === 'read-map' &&
        covers(m.region, region),
    );
    if (read) copyRegion(read, region, measured);
    grids.push({
      step: name(p.stepIdx),
      region,
      target,
      measured,
      measuredFrom: read ? 'read-map' : 'verify',
    });
  }

  const relaxation: RelaxationRow[] = [];
  const readNoise: ReadNoiseRow[] = [];
  for (const { stepIdx, model } of reader.noiseModels(run.id)) {
    const m = model as NoiseModelView;
    const source = `characterize (${name(stepIdx)})`;
    m.relaxation.timesS.forEach((t, ti) =>
      m.relaxation.gMicroS.forEach((g, bi) =>
        relaxation.push({
          source,
          band: `${g.toFixed(1)} µS`,
          bandMicroS: g,
          timeS: t,
          sigmaMicroS: m.relaxation.sigmaMicroS[ti]?.[bi] ?? NaN,
        }),
      ),
    );
    const { min, max } = m.conductanceWindowMicroS;
    for (let k = 0; k <= 20; k++) {
      const g = min + ((max - min) * k) / 20;
      readNoise.push({ source, gMicroS: g, sigmaMicroS: m.readNoise.relative * g });
    }
  }
  for (const s of steps.filter((x) => x.kind === 'retention'))
    relaxation.push(...retentionRows(s, maps, programs, name));

  const metrics = reader.metrics(run.id).map((m) => ({
    step: name(m.stepIdx),
    name: m.name,
    value: m.value,
    unit: m.unit,
  }));
  const stages = reader
    .metrics(run.id)
    .filter((m) => m.name.startsWith('accuracy.'))
    .map((m) => ({
      stage: m.name.slice('accuracy.'.length),
      step: name(m.stepIdx),
      accuracy: m.value,
    }))
    .sort((a, b) => stageRank(a.stage) - stageRank(b.stage));

  const inferSteps = steps.filter((s) => s.kind === 'infer');
  const batches = inferSteps.length > 0 ? reader.mvmBatches(run.id) : [];
  const sweep = sweepPoints(steps, batches, reader.metrics(run.id));
  const transfer: TransferRow[] = [];
  for (const point of sweep) {
    const step = byIdx.get(point.stepIdx)!;
    const own = batches.filter((b) => b.stepIdx === point.stepIdx);
    if (own.length === 0) continue;
    const g = conductanceBefore(step.idx, own[0]!.rows, own[0]!.cols, maps, programs, byIdx);
    if (!g) continue;
    transfer.push(...transferRows(point.settingLabel, own, g));
  }

  return {
    run,
    label: `${run.uuid.slice(0, 8)} ${run.chip_serial ?? ''}`.trim(),
    chip,
    steps,
    events: reader.events(run.id),
    counts: reader.counts(run.id),
    metrics,
    grids,
    cells,
    transfer,
    relaxation,
    readNoise,
    stages,
    sweep,
  };
}

/** The parts of a stored noise model the report reads. */
interface NoiseModelView {
  conductanceWindowMicroS: { min: number; max: number };
  readNoise: { relative: number };
  relaxation: { gMicroS: number[]; timesS: number[]; sigmaMicroS: number[][] };
}

function extent(a: Int32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of a) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function stageRank(stage: string): number {
  const base = stage.split('.')[0]!;
  const i = STAGE_ORDER.indexOf(base);
  return i < 0 ? STAGE_ORDER.length - 0.5 : i;
}

function copyRegion(map: StoredMap, region: Region, out: Float32Array): void {
  for (let r = 0; r < region.rows; r++)
    for (let c = 0; c < region.cols; c++) {
      const k =
        (region.row + r - map.region.row) * map.region.cols + region.col + c - map.region.col;
      out[r * region.cols + c] = map.microS[k]!;
    }
}

/** σ of G(t) − G(programmed) per band of targets, for each read of a retention step. */
function retentionRows(
  step: StepRow,
  maps: StoredMap[],
  programs: ReturnType<RunReader['programs']>,
  name: (idx: number) => string,
): RelaxationRow[] {
  const reads = maps.filter((m) => m.stepIdx === step.idx);
  const program = programs.filter((p) => p.stepIdx < step.idx).at(-1);
  if (!program || reads.length === 0) return [];
  const region = reads[0]!.region;
  const idx = [...program.row.keys()].filter((i) =>
    inside(region, program.row[i]!, program.col[i]!),
  );
  if (idx.length === 0) return [];
  const targets = idx.map((i) => program.targetMicroS[i]!);
  const lo = Math.min(...targets);
  const hi = Math.max(...targets);
  const bands = hi > lo ? RETENTION_BANDS : 1;
  const bandOf = (t: number) =>
    Math.min(bands - 1, Math.floor(((t - lo) / (hi - lo || 1)) * bands));
  const t0 = reads[0]!.timeS;
  const rows: RelaxationRow[] = [];
  const label = (m: StoredMap) => Number(/t=([0-9.e+-]+)/.exec(m.label)?.[1] ?? m.timeS - t0);
  for (const m of reads) {
    const sum = new Float64Array(bands);
    const sq = new Float64Array(bands);
    const n = new Float64Array(bands);
    const centre = new Float64Array(bands);
    for (const i of idx) {
      const b = bandOf(program.targetMicroS[i]!);
      const k = (program.row[i]! - region.row) * region.cols + program.col[i]! - region.col;
      const d = m.microS[k]! - program.finalMicroS[i]!;
      sum[b]! += d;
      sq[b]! += d * d;
      n[b]! += 1;
      centre[b]! += program.targetMicroS[i]!;
    }
    for (let b = 0; b < bands; b++) {
      if (n[b]! < 2) continue;
      const mean = sum[b]! / n[b]!;
      const g = centre[b]! / n[b]!;
      rows.push({
        source: `retention (${name(step.idx)})`,
        band: `${g.toFixed(1)} µS`,
        bandMicroS: g,
        timeS: label(m),
        sigmaMicroS: Math.sqrt(Math.max(0, sq[b]! / n[b]! - mean * mean)),
      });
    }
  }
  return rows;
}

/**
 * The conductance of `rows × cols` before infer step `idx`: the latest read-back map covering
 * them, else the last verify of the programmed cells; null when neither covers every cell.
 */
function conductanceBefore(
  idx: number,
  rows: number[],
  cols: number[],
  maps: StoredMap[],
  programs: ReturnType<RunReader['programs']>,
  byIdx: Map<number, StepRow>,
): Float32Array | null {
  const g = new Float32Array(rows.length * cols.length).fill(NaN);
  const program = programs.filter((p) => p.stepIdx < idx).at(-1);
  // Only a read-back taken after the last programming describes the weights the vectors met.
  const map = maps
    .filter(
      (m) =>
        m.stepIdx < idx &&
        m.stepIdx > (program?.stepIdx ?? -1) &&
        byIdx.get(m.stepIdx)?.kind === 'read-map',
    )
    .filter(
      (m) =>
        rows.every((r) => inside(m.region, r, m.region.col)) &&
        cols.every((c) => inside(m.region, m.region.row, c)),
    )
    .at(-1);
  if (map) {
    rows.forEach((r, i) =>
      cols.forEach((c, j) => {
        g[i * cols.length + j] =
          map.microS[(r - map.region.row) * map.region.cols + c - map.region.col]!;
      }),
    );
    return g;
  }
  if (!program) return null;
  const rowAt = new Map(rows.map((r, i) => [r, i]));
  const colAt = new Map(cols.map((c, j) => [c, j]));
  for (let i = 0; i < program.row.length; i++) {
    const a = rowAt.get(program.row[i]!);
    const b = colAt.get(program.col[i]!);
    if (a !== undefined && b !== undefined) g[a * cols.length + b] = program.finalMicroS[i]!;
  }
  return g.every(Number.isFinite) ? g : null;
}

/** Transfer-curve points of one infer step: at most TRANSFER_POINTS_PER_STEP (vector, column) pairs. */
function transferRows(
  setting: string,
  batches: ReturnType<RunReader['mvmBatches']>,
  g: Float32Array,
): TransferRow[] {
  const k = batches[0]!.rows.length;
  const m = batches[0]!.cols.length;
  const vectors = batches.reduce((a, b) => a + b.batch, 0);
  const stride = Math.max(1, Math.ceil((vectors * m) / TRANSFER_POINTS_PER_STEP));
  const out: TransferRow[] = [];
  let v = 0;
  for (const b of batches)
    for (let u = 0; u < b.batch; u++, v++) {
      if (v % stride !== 0 && stride > 1) continue;
      for (let j = 0; j < m; j++) {
        let q = 0;
        for (let i = 0; i < k; i++) q += g[i * m + j]! * b.inputs[u * k + i]!;
        out.push({ setting, chargeMicroSPulses: q, count: b.counts[u * m + j]! });
      }
    }
  return out;
}

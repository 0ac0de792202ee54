/**
 * The report's figures as Vega-Lite specs (data inline): declarative descriptions that
 * src/report/render-figure.ts compiles and renders to SVG. One function per kind of figure; each
 * takes one run or several (`--compare`), and several runs are overlaid, coloured by run
 * (heat-maps, which cannot overlay, are drawn side by side).
 */
import type { TopLevelSpec } from 'vega-lite';
import { heatmapPng } from './heatmap-image.ts';
import { histogram, niceStep } from './histogram.ts';
import type { HistogramBin } from './histogram.ts';
import type { Interpolator } from './heatmap-image.ts';
import { TRANSFER_POINTS_PER_STEP } from './run-data.ts';
import type { Grid, RunData } from './run-data.ts';
import type { SweepAnalysis } from './sweep-analysis.ts';

/** A figure of the report. */
export interface Figure {
  /** File-name-safe id (the PNG's name with `--png`). */
  id: string;
  /** Section it belongs to. */
  section: string;
  title: string;
  /** What the figure shows and where its data come from. */
  caption: string;
  spec: TopLevelSpec;
}

/** The colour schemes of heat-maps (Vega scheme names). */
export const HEATMAP_SCHEMES = { conductance: 'viridis', error: 'redblue' } as const;
/** Largest side of a heat-map panel (px). */
export const HEATMAP_SIDE_PX = 240;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const base = {
  $schema: SCHEMA,
  background: 'white',
  // No per-mark aria-labels: they repeat every datum (a heat-map's whole PNG) in the SVG.
  config: { font: 'sans-serif', aria: false, legend: { labelLimit: 360 } },
} as const;
const safe = (s: string) =>
  s
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();

/** Conductance heat-maps (target, measured, error) of every program step of every run. */
export function heatmapFigures(
  runs: readonly RunData[],
  schemes: { conductance: Interpolator; error: Interpolator },
): Figure[] {
  const figures: Figure[] = [];
  for (const run of runs) {
    const window = windowOf(run);
    run.grids.forEach((grid, gi) => {
      const error = grid.measured.map((m, i) => m - grid.target[i]!);
      const abs = Array.from(error, Math.abs)
        .filter(Number.isFinite)
        .sort((a, b) => a - b);
      // Error colour scale: symmetric, covering 99% of cells (at least ±1 µS) so one outlier does not wash it out.
      const e = Math.max(1, Math.ceil(abs[Math.floor(0.99 * (abs.length - 1))] ?? 1));
      const panels = [
        panel(
          grid,
          grid.target,
          'target',
          window,
          schemes.conductance,
          HEATMAP_SCHEMES.conductance,
        ),
        panel(
          grid,
          grid.measured,
          `measured (${grid.measuredFrom})`,
          window,
          schemes.conductance,
          HEATMAP_SCHEMES.conductance,
        ),
        panel(
          grid,
          error,
          'error = measured − target',
          [-e, e],
          schemes.error,
          HEATMAP_SCHEMES.error,
          true,
        ),
      ];
      const r = grid.region;
      figures.push({
        id: safe(`heatmap-${runs.length > 1 ? run.label : ''}-${gi}-${grid.step}`),
        section: 'Conductance maps',
        title: `${runs.length > 1 ? `${run.label}: ` : ''}${grid.step} — rows ${r.row}–${r.row + r.rows - 1}, cols ${r.col}–${r.col + r.cols - 1}`,
        caption: `Target, measured and error conductance of each programmed cell (µS), one pixel per cell. Measured is the ${grid.measuredFrom === 'read-map' ? 'read-back map after the step' : "write-verify's last verify read"}; the error scale is symmetric and covers 99% of cells (±${e} µS).`,
        spec: {
          ...base,
          hconcat: panels,
          resolve: { scale: { color: 'independent', x: 'independent', y: 'independent' } },
        } as unknown as TopLevelSpec,
      });
    });
  }
  return figures;
}

function windowOf(run: RunData): [number, number] {
  const w = (
    run.chip?.info as { conductanceWindowMicroS?: { min: number; max: number } } | undefined
  )?.conductanceWindowMicroS;
  return w ? [w.min, w.max] : [0, 40];
}

function panel(
  grid: Grid,
  values: Float32Array,
  title: string,
  domain: readonly [number, number],
  interpolate: Interpolator,
  scheme: string,
  diverging = false,
): Record<string, unknown> {
  const { row, col, rows, cols } = grid.region;
  const px = Math.max(1, Math.min(16, Math.floor(HEATMAP_SIDE_PX / Math.max(rows, cols))));
  const width = cols * px;
  const height = rows * px;
  const url = `data:image/png;base64,${heatmapPng(values, rows, cols, domain, interpolate).toString('base64')}`;
  const axis = (name: string, from: number, n: number) => ({
    type: 'quantitative',
    title: name,
    scale: {
      domain: [from, from + n],
      nice: false,
      zero: false,
      ...(name === 'row' && { reverse: true }),
    },
    axis: { tickMinStep: 1, format: 'd' },
  });
  return {
    title,
    width,
    height,
    layer: [
      {
        data: { values: [{ x: col, y: row, url }] },
        mark: {
          type: 'image',
          width,
          height,
          align: 'left',
          baseline: 'top',
          aspect: false,
          smooth: false,
        },
        encoding: {
          x: { field: 'x', ...axis('column', col, cols) },
          y: { field: 'y', ...axis('row', row, rows) },
          url: { field: 'url', type: 'nominal' },
        },
      },
      {
        // The colour legend of the image: an invisible mark carrying the scale.
        data: {
          values: [
            { v: domain[0], x: col, y: row },
            { v: domain[1], x: col, y: row },
          ],
        },
        mark: { type: 'point', opacity: 0, aria: false },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          color: {
            field: 'v',
            type: 'quantitative',
            title: 'µS',
            scale: { scheme, domain: [...domain], ...(diverging && { domainMid: 0 }) },
          },
        },
      },
    ],
  };
}

const seriesOf = (runs: readonly RunData[], run: RunData, inner: string) =>
  runs.length > 1 ? `${run.label} · ${inner}` : inner;

/** Histograms of programming error and of pulses per cell. */
export function programmingFigures(runs: readonly RunData[]): Figure[] {
  const sets = runs.flatMap((run) =>
    run.cells.map((c) => ({ ...c, series: seriesOf(runs, run, c.step) })),
  );
  if (sets.every((c) => c.pulses.length === 0)) return [];
  const errors = sets.map((c) => ({ name: c.series, values: c.errorMicroS }));
  const pulses = sets.map((c) => ({ name: c.series, values: c.pulses }));
  const span = (xs: { values: ArrayLike<number> }[]) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of xs)
      for (let i = 0; i < x.values.length; i++) {
        lo = Math.min(lo, x.values[i]!);
        hi = Math.max(hi, x.values[i]!);
      }
    return hi - lo;
  };
  const hist = (bins: HistogramBin[], title: string) =>
    ({
      ...base,
      width: 480,
      height: 220,
      data: { values: bins },
      mark: { type: 'bar', opacity: 0.6 },
      encoding: {
        x: { field: 'lo', bin: 'binned', type: 'quantitative', title },
        x2: { field: 'hi' },
        y: { field: 'count', type: 'quantitative', title: 'cells', stack: null },
        color: { field: 'series', type: 'nominal', title: runs.length > 1 ? 'run · step' : 'step' },
      },
    }) as TopLevelSpec;
  return [
    {
      id: 'programming-error',
      section: 'Programming',
      title: 'Programming error',
      caption:
        'Final conductance minus target of every write-verified cell (µS), from the last verify read.',
      spec: hist(histogram(errors, niceStep(span(errors), 50)), 'final − target (µS)'),
    },
    {
      id: 'pulses-per-cell',
      section: 'Programming',
      title: 'Pulses per cell',
      caption: 'Write-verify pulses applied to each cell (both polarities).',
      spec: hist(histogram(pulses, Math.max(1, Math.ceil(span(pulses) / 60))), 'pulses'),
    },
  ];
}

/** IFC transfer curves: count against column charge, per readout setting. */
export function transferFigures(runs: readonly RunData[]): Figure[] {
  const rows = runs.flatMap((run) =>
    run.transfer.map((t) => ({
      series: seriesOf(runs, run, t.setting),
      q: Math.round(t.chargeMicroSPulses * 100) / 100,
      n: t.count,
    })),
  );
  if (rows.length === 0) return [];
  const enc = {
    x: { field: 'q', type: 'quantitative', title: 'Σ G·pulses (µS·pulses)', bin: { maxbins: 40 } },
    color: {
      field: 'series',
      type: 'nominal',
      title: runs.length > 1 ? 'run · setting' : 'readout setting',
      legend: { labelLimit: 400 },
    },
  };
  return [
    {
      id: 'transfer-curves',
      section: 'Readout',
      title: 'IFC transfer curves',
      caption: `Spike count of each read column against its input charge Σ_i G_ij·pulses_i, computed from the read-back conductances and the stored input pulses of the infer steps; the line is the mean count per bin of charge, the band ±1 σ of the counts in the bin (at most ${TRANSFER_POINTS_PER_STEP} (vector, column) pairs per infer step). Vref scales the current (the curve stretches along x), Vth the charge per spike (it bends), precision sets the clip at 2^b − 1.`,
      spec: {
        ...base,
        width: 480,
        height: 280,
        data: { values: rows },
        layer: [
          {
            mark: { type: 'errorband', extent: 'stdev', opacity: 0.25, tooltip: false },
            encoding: { ...enc, y: { field: 'n', type: 'quantitative', title: 'spike count' } },
          },
          {
            mark: { type: 'line', strokeWidth: 2, point: { size: 12 } },
            encoding: { ...enc, y: { field: 'n', aggregate: 'mean', type: 'quantitative' } },
          },
        ],
      } as TopLevelSpec,
    },
  ];
}

/** Relaxation and retention: σ of the conductance change per band against time. */
export function relaxationFigures(runs: readonly RunData[]): Figure[] {
  const rows = runs.flatMap((run) =>
    run.relaxation
      .filter((r) => Number.isFinite(r.sigmaMicroS))
      .map((r) => ({
        series: seriesOf(runs, run, r.source),
        band: r.band,
        g: r.bandMicroS,
        t: r.timeS,
        sigma: Math.round(r.sigmaMicroS * 1000) / 1000,
      })),
  );
  if (rows.length === 0) return [];
  return [
    {
      id: 'relaxation',
      section: 'Drift',
      title: 'Relaxation and retention per conductance band',
      caption:
        'σ of G(t) − G(programmed) per band of programmed conductance against time after programming (s, symmetric-log axis). Characterisation figures come from the stored noise model (read noise removed); retention figures from the retention step’s maps against the last verify (read noise included).',
      spec: {
        ...base,
        width: 480,
        height: 260,
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
          x: {
            field: 't',
            type: 'quantitative',
            title: 'time after programming (s)',
            scale: { type: 'symlog' },
          },
          y: { field: 'sigma', type: 'quantitative', title: 'σ (µS)' },
          color: {
            field: 'band',
            type: 'ordinal',
            title: 'band',
            sort: { field: 'g' },
            scale: { scheme: 'viridis' },
          },
          strokeDash: {
            field: 'series',
            type: 'nominal',
            title: runs.length > 1 ? 'run · source' : 'source',
          },
          detail: { field: 'series' },
        },
      },
    },
  ];
}

/** Read noise against conductance, from the measured noise model(s). */
export function readNoiseFigures(runs: readonly RunData[]): Figure[] {
  const rows = runs.flatMap((run) =>
    run.readNoise.map((r) => ({
      series: seriesOf(runs, run, r.source),
      g: r.gMicroS,
      sigma: r.sigmaMicroS,
    })),
  );
  if (rows.length === 0) return [];
  return [
    {
      id: 'read-noise',
      section: 'Drift',
      title: 'Read noise against conductance',
      caption:
        'σ of one read against conductance, from the relative read noise the characterisation measured (repeated single reads of its programmed cells, stuck cells excluded).',
      spec: {
        ...base,
        width: 480,
        height: 220,
        data: { values: rows },
        mark: { type: 'line' },
        encoding: {
          x: { field: 'g', type: 'quantitative', title: 'G (µS)' },
          y: { field: 'sigma', type: 'quantitative', title: 'σ of one read (µS)' },
          color: {
            field: 'series',
            type: 'nominal',
            title: runs.length > 1 ? 'run · source' : 'source',
          },
        },
      },
    },
  ];
}

/** Accuracy per closed-loop stage (`accuracy.<stage>` metrics). */
export function accuracyFigures(runs: readonly RunData[]): Figure[] {
  const rows = runs.flatMap((run) =>
    run.stages.map((s, order) => ({ run: run.label, stage: s.stage, order, accuracy: s.accuracy })),
  );
  if (rows.length === 0) return [];
  const stages = [...new Set(rows.sort((a, b) => a.order - b.order).map((r) => r.stage))];
  return [
    {
      id: 'accuracy-per-stage',
      section: 'Closed loop',
      title: 'Accuracy per stage of the closed loop',
      caption: 'Classification accuracy measured at each stage (metrics accuracy.<stage>).',
      spec: {
        ...base,
        width: Math.max(240, 70 * stages.length),
        height: 220,
        data: { values: rows },
        encoding: {
          x: {
            field: 'stage',
            type: 'nominal',
            sort: stages,
            title: 'stage',
            axis: { labelAngle: 0 },
          },
          y: {
            field: 'accuracy',
            type: 'quantitative',
            title: 'accuracy',
            scale: { domain: [0, 1] },
          },
          ...(runs.length > 1 && { xOffset: { field: 'run' } }),
          color: { field: 'run', type: 'nominal', legend: runs.length > 1 ? {} : null },
        },
        layer: [
          { mark: 'bar' },
          {
            mark: { type: 'text', dy: -6, fontSize: 10 },
            encoding: { text: { field: 'accuracy', format: '.3f' }, color: { value: 'black' } },
          },
        ],
      },
    },
  ];
}

/** Accuracy against energy and against latency per inference, Pareto front marked. */
export function paretoFigures(
  runs: readonly RunData[],
  analyses: readonly SweepAnalysis[],
): Figure[] {
  const rows = runs.flatMap((run, ri) => {
    const a = analyses[ri]!;
    const usual = modalSetting(run);
    return run.sweep.map((p, i) => ({
      run: run.label,
      label: shortLabel(p.setting, usual),
      setting: p.settingLabel,
      bits: p.setting.precisionBits,
      accuracy: p.accuracy,
      energyNJ: p.energyJ * 1e9,
      latencyUs: p.latencyS * 1e6,
      frontEnergy: a.frontEnergy.includes(i),
      frontLatency: a.frontLatency.includes(i),
    }));
  });
  if (runs.every((r) => r.sweep.length < 2)) return [];
  const chart = (x: string, title: string, front: string) => ({
    width: 340,
    height: 260,
    layer: [
      {
        transform: [{ filter: `datum.${front}` }],
        mark: { type: 'line', interpolate: 'step-after', color: '#999', strokeDash: [4, 3] },
        encoding: {
          x: {
            field: x,
            type: 'quantitative',
            title,
            scale: { type: 'log', nice: false, padding: 16 },
          },
          y: { field: 'accuracy', type: 'quantitative' },
          detail: { field: 'run' },
          order: { field: x },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: {
            field: x,
            type: 'quantitative',
            title,
            scale: { type: 'log', nice: false, padding: 16 },
          },
          y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { zero: false } },
          color:
            runs.length > 1
              ? { field: 'run', type: 'nominal' }
              : { field: 'bits', type: 'ordinal', title: 'bits', scale: { scheme: 'viridis' } },
          shape: {
            field: front,
            type: 'nominal',
            title: 'Pareto-optimal',
            scale: { domain: [true, false], range: ['diamond', 'circle'] },
          },
        },
      },
      {
        // Front points labelled to the right, the others (dimmer) to the left, so clusters stay legible.
        transform: [{ filter: `datum.${front}` }],
        mark: { type: 'text', dx: 7, dy: -7, align: 'left', fontSize: 9 },
        encoding: {
          x: { field: x, type: 'quantitative' },
          y: { field: 'accuracy', type: 'quantitative' },
          text: { field: 'label' },
        },
      },
      {
        transform: [{ filter: `!datum.${front}` }],
        mark: { type: 'text', dx: -7, dy: 3, align: 'right', fontSize: 9, color: '#666' },
        encoding: {
          x: { field: x, type: 'quantitative' },
          y: { field: 'accuracy', type: 'quantitative' },
          text: { field: 'label' },
        },
      },
    ],
  });
  return [
    {
      id: 'pareto',
      section: 'Sweep',
      title: 'Accuracy against energy and latency per inference',
      caption:
        'Each infer step of the sweep at its hardware setting; energy and latency are the stored per-batch chip figures divided by the vectors classified. Diamonds (joined by the dashed staircase) are Pareto-optimal in that plane: no other setting is at least as accurate and cheaper.',
      spec: {
        ...base,
        data: { values: rows },
        hconcat: [
          chart('energyNJ', 'energy per inference (nJ)', 'frontEnergy'),
          chart('latencyUs', 'latency per inference (µs)', 'frontLatency'),
        ],
      } as TopLevelSpec,
    },
  ];
}

/** For each setting key, the value most of the run's sweep points share (what a label can omit). */
function modalSetting(run: RunData): Partial<Record<string, number>> {
  const out: Partial<Record<string, number>> = {};
  const first = run.sweep[0]?.setting;
  if (!first) return out;
  for (const k of Object.keys(first) as (keyof typeof first)[]) {
    const counts = new Map<number, number>();
    for (const p of run.sweep) counts.set(p.setting[k], (counts.get(p.setting[k]) ?? 0) + 1);
    out[k] = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  }
  return out;
}

/** `4b`, plus whatever of Vref, Vth and tolerance differs from the sweep's usual value. */
function shortLabel(
  s: RunData['sweep'][number]['setting'],
  usual: Partial<Record<string, number>>,
): string {
  const parts = [`${s.precisionBits}b`];
  const odd = (k: keyof typeof s) => !Object.is(s[k], usual[k]);
  if (odd('readV')) parts.push(`Vref ${s.readV} V`);
  if (odd('vthV')) parts.push(`Vth ${s.vthV} V`);
  if (odd('toleranceMicroS')) parts.push(`±${s.toleranceMicroS} µS`);
  return parts.join(', ');
}

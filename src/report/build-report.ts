/**
 * Build a report from one run or several (`--compare`): read each run's data, analyse its
 * sweep, build the figures' specs, render them to SVG and assemble the HTML. With `pngDir`, each
 * figure is also written as a PNG (resvg, loaded only then) for slides.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReader, RunRow } from '../store/run-reader.ts';
import {
  accuracyFigures,
  HEATMAP_SCHEMES,
  heatmapFigures,
  paretoFigures,
  programmingFigures,
  readNoiseFigures,
  relaxationFigures,
  transferFigures,
} from './figure-specs.ts';
import type { Figure } from './figure-specs.ts';
import { loadCharting } from './render-figure.ts';
import { reportHtml } from './report-html.ts';
import type { RenderedFigure } from './report-html.ts';
import { readRunData } from './run-data.ts';
import { analyseSweep } from './sweep-analysis.ts';

/** Options of `buildReport`. */
export interface BuildReportOptions {
  /** rram-bench version written into the report. */
  softwareVersion: string;
  /** Also write each figure as `<id>.png` here (created if needed). Default: no PNGs. */
  pngDir?: string;
  /** PNG scale factor over the SVG's size. Default 2 (crisp on slides). */
  pngScale?: number;
  /** Report time (ISO). Default: now. */
  generatedAt?: string;
}

/** A built report. */
export interface BuiltReport {
  html: string;
  figures: RenderedFigure[];
  /** PNG files written (paths). */
  pngs: string[];
}

/** The report of `runs` (one, or several to compare) read through `reader`. */
export async function buildReport(
  reader: RunReader,
  runs: readonly RunRow[],
  o: BuildReportOptions,
): Promise<BuiltReport> {
  const data = runs.map((r) => readRunData(reader, r));
  const analyses = data.map((d) => analyseSweep(d.sweep));
  const charting = await loadCharting();
  const specs: Figure[] = [
    ...heatmapFigures(data, {
      conductance: charting.scheme(HEATMAP_SCHEMES.conductance),
      error: charting.scheme(HEATMAP_SCHEMES.error),
    }),
    ...programmingFigures(data),
    ...transferFigures(data),
    ...relaxationFigures(data),
    ...readNoiseFigures(data),
    ...accuracyFigures(data),
    ...paretoFigures(data, analyses),
  ];
  const figures: RenderedFigure[] = [];
  for (const figure of specs) figures.push({ figure, svg: await charting.toSvg(figure.spec) });
  const pngs: string[] = [];
  if (o.pngDir !== undefined) {
    const { Resvg } = await import('@resvg/resvg-js');
    mkdirSync(o.pngDir, { recursive: true });
    for (const f of figures) {
      // resvg knows `optimizeSpeed` (sharp cells) but not `pixelated`, which Vega sets after it.
      const svg = f.svg.replaceAll('image-rendering: pixelated;', '');
      const png = new Resvg(svg, {
        fitTo: { mode: 'zoom', value: o.pngScale ?? 2 },
        font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
      })
        .render()
        .asPng();
      const path = join(o.pngDir, `${f.figure.id}.png`);
      writeFileSync(path, png);
      pngs.push(path);
    }
  }
  const html = reportHtml({
    runs: data,
    analyses,
    figures,
    softwareVersion: o.softwareVersion,
    generatedAt: o.generatedAt ?? new Date().toISOString(),
  });
  return { html, figures, pngs };
}

/**
 * Render Vega-Lite specs to SVG in Node: compile with vega-lite, run Vega's headless View
 * (`renderer: 'none'`, no browser, no canvas) and serialise its scenegraph. The libraries load
 * on first use, so commands that draw nothing never pay for them.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Interpolator } from './heatmap-image.ts';

/** The loaded charting libraries. */
export interface Charting {
  /** Render a spec to an SVG document (string). */
  toSvg(spec: TopLevelSpec): Promise<string>;
  /** Compiler warnings so far (Vega-Lite logs them to the console otherwise). */
  warnings: string[];
  /** A named Vega colour scheme as an interpolator over [0, 1]. */
  scheme(name: string): Interpolator;
}

let loaded: Promise<Charting> | undefined;

/** Load vega and vega-lite (once). */
export function loadCharting(): Promise<Charting> {
  loaded ??= (async () => {
    const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
    const warnings: string[] = [];
    // Vega-Lite warns on the console; keep its warnings instead (the report is the output).
    const logger = {
      level(): number {
        return 0;
      },
      error(...args: readonly unknown[]) {
        throw new Error(args.map(String).join(' '));
      },
      warn(...args: readonly unknown[]) {
        warnings.push(args.map(String).join(' '));
        return logger;
      },
      info: () => logger,
      debug: () => logger,
    };
    return {
      warnings,
      async toSvg(spec) {
        const compiled = vl.compile(spec, { logger: logger }).spec;
        const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
        try {
          return await view.toSVG();
        } finally {
          view.finalize();
        }
      },
      scheme(name) {
        const s = vega.scheme(name) as unknown;
        if (typeof s !== 'function') throw new RangeError(`no continuous Vega scheme ${name}`);
        return s as Interpolator;
      },
    };
  })();
  return loaded;
}

/**
 * `deploy`: program a model version (a trained stage, or `.npy` layer files such as a PyTorch
 * export) onto the chip: layers placed as in design.md §8 (first fit, twin columns), weights
 * mapped by src/programming/mapping.ts, each block written and verified by the pipeline's
 * `programRegion` (forming virgin cells first). Unit u programs rows [u·n, (u+1)·n) of every
 * layer being deployed, so the step has ⌈256/n⌉ units whatever the model (rows a layer does
 * not have are skipped). The end stores the deployment (which stage sits where, at what
 * scale) for the calibrate, evaluate and train steps after it.
 */
import { createHash } from 'node:crypto';
import { filter } from 'rxjs';
import type { ChipInfo, Region } from '../../../drivers/driver.ts';
import { BenchError } from '../../../drivers/driver.ts';
import { checkProgram } from '../../../drivers/limits.ts';
import { observe } from '../../pipeline/observe.ts';
import { programRegion } from '../../pipeline/program.ts';
import { mapWeights, type MappedWeights } from '../../programming/mapping.ts';
import { placeLayers } from '../../programming/placement.ts';
import type { Measurement } from '../../store/measurement.ts';
import type { StepOf } from '../campaign-schema.ts';
import type { Weights } from '../load-weights.ts';
import type { StepContext, StepRunner } from '../step-runner.ts';
import { packMlp, unpackMlp, type Mlp } from '../../training/mlp.ts';
import {
  lastArtifact,
  modelOfStage,
  type DeployedLayer,
  type Deployment,
} from './closed-loop-state.ts';
import { toResult } from './program-step.ts';

/** Expected write-verify pulses per cell, for estimates. */
const PULSES_PER_CELL = 8;

/** The deploy step; `files` are the loaded `model` layer files, if any. */
export function deployStep(s: StepOf<'deploy'>, files: Weights[] | undefined): StepRunner {
  const per = s.rowsPerUnit;
  const units = Math.ceil(256 / per);
  let plan: { model: Mlp; mapped: MappedWeights[]; deployment: Deployment } | undefined;
  const selected = (l: number) => s.layers === undefined || s.layers.includes(l + 1);

  const prepare = (ctx: StepContext) => {
    const earlier = ctx.earlier();
    let model: Mlp;
    if (files) model = modelFromFiles(files);
    else {
      const v = modelOfStage(earlier, s.stage);
      model = unpackMlp(v.shape, v.weights);
    }
    const sizes = model.sizes;
    const placement = placeLayers(
      sizes.slice(1).map((outputs, l) => ({ name: `fc${l + 1}`, inputs: sizes[l]!, outputs })),
      { rows: ctx.chip.rows, cols: ctx.chip.cols },
    );
    const w = ctx.chip.conductanceWindowMicroS;
    const mapped = model.weights.map((x, l) =>
      mapWeights(x, sizes[l]!, sizes[l + 1]!, {
        gMinMicroS: w.min,
        gMaxMicroS: w.max,
        percentile: s.percentile,
      }),
    );
    const previous = lastArtifact(earlier, 'deployment')?.artifacts[0]?.meta as
      Deployment | undefined;
    const layers: DeployedLayer[] = placement.layers.map((p, l) => {
      const before = previous?.layers[l];
      if (!selected(l) && before) return before;
      if (!selected(l))
        throw new BenchError(
          'INVALID_ARGUMENT',
          `layer ${l + 1} is not deployed yet: deploy every layer once before deploying some`,
          { field: 'layers' },
        );
      return {
        name: p.name,
        stage: s.stage,
        inputs: p.inputs,
        outputs: p.outputs,
        region: p.region,
        scaleMicroSPerUnit: mapped[l]!.scaleMicroSPerUnit,
        step: -1,
      };
    });
    plan = { model, mapped, deployment: { sizes, layers } };
    return plan;
  };

  return {
    units,
    touchesChip: true,
    enter(ctx) {
      prepare(ctx);
      return Promise.resolve();
    },
    async unit(u, ctx) {
      const { deployment, mapped } = plan!;
      const out: Measurement[] = [];
      for (let l = 0; l < deployment.layers.length; l++) {
        if (!selected(l)) continue;
        const layer = deployment.layers[l]!;
        const m = mapped[l]!;
        const r0 = u * per;
        if (r0 >= layer.region.rows) continue;
        const rows = Math.min(per, layer.region.rows - r0);
        const region: Region = {
          row: layer.region.row + r0,
          col: layer.region.col,
          rows,
          cols: layer.region.cols,
        };
        const targetsMicroS = m.targetsMicroS.slice(r0 * m.cols, (r0 + rows) * m.cols);
        const end = await observe(
          programRegion(ctx.driver, {
            region,
            targetsMicroS,
            mode: s.mode,
            toleranceMicroS: s.tolerance,
            rowsPerBatch: rows,
          }).pipe(filter((e) => e.kind === 'report')),
          { signal: ctx.signal },
        );
        out.push({ kind: 'program', targetsMicroS, result: toResult(end.report) });
      }
      ctx.progress(u + 1, units, `rows ${u * per}–${(u + 1) * per - 1}`);
      return out;
    },
    finish(all, ctx) {
      const { deployment, model } = plan ?? prepare(ctx);
      const layers = deployment.layers.map((l, i) => (selected(i) ? { ...l, step: ctx.idx } : l));
      let n = 0;
      let converged = 0;
      let sq = 0;
      let stuck = 0;
      let pulses = 0;
      for (const m of all) {
        if (m.kind !== 'program') continue;
        for (let k = 0; k < m.result.finalMicroS.length; k++) {
          n++;
          pulses += m.result.pulses[k]!;
          converged += m.result.converged[k]!;
          const e = m.result.finalMicroS[k]! - m.targetsMicroS[k]!;
          sq += e * e;
          if (!m.result.converged[k] && Math.abs(e) > 2 * s.tolerance) stuck++;
        }
      }
      const measurements: Measurement[] = [
        {
          kind: 'artifact',
          name: 'deployment',
          data: Float32Array.from(layers, (l) => l.scaleMicroSPerUnit),
          meta: { sizes: deployment.sizes, layers },
        },
        { kind: 'metric', name: 'converged_fraction', value: converged / Math.max(1, n), unit: '' },
        {
          kind: 'metric',
          name: 'error_rms_micro_s',
          value: Math.sqrt(sq / Math.max(1, n)),
          unit: 'µS',
        },
        { kind: 'metric', name: 'stuck_cells', value: stuck, unit: 'cells' },
        // Write pulses only (width + gap each), a lower bound on the programming chip time.
        {
          kind: 'metric',
          name: 'chip_time_s',
          value: pulses * (ctx.chip.limits.pulseWidthS.min + 1e-7),
          unit: 's',
        },
      ];
      if (files) {
        const weights = packMlp(model);
        measurements.push({
          kind: 'model-version',
          name: s.stage,
          stage: s.stage,
          source: files.map((f) => f.source).join(', '),
          sha256: createHash('sha256')
            .update(files.map((f) => f.sha256).join())
            .digest('hex'),
          shape: model.sizes,
          weights,
          meta: { sizes: model.sizes, imported: true },
        });
      }
      return {
        summary: {
          stage: s.stage,
          layers: layers.filter((_, i) => selected(i)).map((l) => l.name),
          cells: n,
          convergedFraction: converged / Math.max(1, n),
          errorRmsMicroS: Math.sqrt(sq / Math.max(1, n)),
          stuckCells: stuck,
        },
        measurements,
      };
    },
    check(chip: ChipInfo, readout) {
      if (files) {
        const model = modelFromFiles(files);
        const placement = placeLayers(
          model.sizes
            .slice(1)
            .map((outputs, l) => ({ name: `fc${l + 1}`, inputs: model.sizes[l]!, outputs })),
          { rows: chip.rows, cols: chip.cols },
        );
        for (const p of placement.layers)
          checkProgram(chip, {
            region: p.region,
            targetsMicroS: new Float32Array(p.region.rows * p.region.cols).fill(
              chip.conductanceWindowMicroS.min,
            ),
            toleranceMicroS: s.tolerance,
          });
      }
      return readout;
    },
    estimateS: (chip) => 256 * 148 * PULSES_PER_CELL * (chip.limits.pulseWidthS.min + 1.1e-6),
  };
}

/** A model from layer files: each inputs × outputs, chained. */
export function modelFromFiles(files: Weights[]): Mlp {
  const sizes = [files[0]!.rows];
  files.forEach((f, l) => {
    if (f.rows !== sizes[l])
      throw new BenchError(
        'INVALID_ARGUMENT',
        `${f.source}: layer ${l + 1} has ${f.rows} inputs but the layer before has ${sizes[l]} outputs`,
        { field: 'model', file: f.source },
      );
    sizes.push(f.cols);
  });
  return { sizes, weights: files.map((f) => f.values) };
}

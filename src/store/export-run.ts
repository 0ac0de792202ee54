/**
 * `rram-bench export`: a run's measurements as files numpy and pandas read directly.
 *   npy  — one .npy per array: maps (float32, rows×cols), per-step programming results
 *          (targets/final float32, pulses uint16, converged uint8, row/col int32), MVM inputs
 *          and counts (uint8, vectors×lines) and labels (int32); plus manifest.json.
 *   csv  — long tables with a header row: program_cells.csv, maps.csv, mvm.csv, metrics.csv.
 *   json — run.json with everything (arrays as numbers).
 */
import {
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  closeSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { BenchError } from '../../drivers/driver.ts';
import { formatNpy } from '../campaign/npy.ts';
import type { RunReader, RunRow } from './run-reader.ts';

/** Export formats. */
export type ExportFormat = 'npy' | 'csv' | 'json';

/** A step's number in file names: 1-based, as the CLI and `runs show` number steps. */
const pad = (n: number) => String(n).padStart(3, '0');
const stepNo = (idx: number) => pad(idx + 1);

/** Names of the files an export writes (what `removeExport` removes). */
const EXPORT_FILE =
  /^(step\d+_.+\.npy|manifest\.json|run\.json|(program_cells|maps|mvm|metrics)\.csv)$/;

/**
 * The uuid of the run whose export `dir` holds (read from its manifest.json or run.json), or
 * undefined when it holds none.
 */
export function exportOwner(dir: string): string | undefined {
  for (const name of ['manifest.json', 'run.json']) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    // The uuid is near the start; run.json can be large, so read only its head.
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(4096);
      const n = readSync(fd, head, 0, head.length, 0);
      const m = /"uuid"\s*:\s*"([^"]+)"/.exec(head.subarray(0, n).toString('utf8'));
      if (m) return m[1];
    } finally {
      closeSync(fd);
    }
  }
  return undefined;
}

/** Remove the files of an earlier export from `dir` (nothing else in it). */
export function removeExport(dir: string): void {
  for (const name of readdirSync(dir))
    if (EXPORT_FILE.test(name)) rmSync(join(dir, name), { force: true });
}

/** Write run `run` to `dir` in `format`; returns the files written. */
export function exportRun(
  reader: RunReader,
  run: RunRow,
  format: ExportFormat,
  dir: string,
): string[] {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new BenchError('IO', `cannot create ${dir}: ${(e as Error).message}`, { path: dir });
  }
  const files: string[] = [];
  const write = (name: string, data: string | Buffer) => {
    const path = join(dir, name);
    try {
      writeFileSync(path, data);
    } catch (e) {
      throw new BenchError('IO', `cannot write ${path}: ${(e as Error).message}`, { path });
    }
    files.push(path);
  };
  const steps = reader.steps(run.id).map((s) => ({
    step: s.idx + 1,
    idx: s.idx,
    kind: s.kind,
    name: s.name,
    status: s.status,
    units: s.units,
    checkpoint: s.checkpoint,
  }));
  const info = {
    uuid: run.uuid,
    campaign: run.campaign_name,
    status: run.status,
    chip: { model: run.chip_model, serial: run.chip_serial },
    started: run.started_at,
    ended: run.ended_at,
    steps,
  };
  const maps = reader.maps(run.id);
  const programs = reader.programs(run.id);
  const batches = reader.mvmBatches(run.id);
  const metrics = reader.metrics(run.id);
  const noise = reader.noiseModels(run.id);
  if (format === 'npy') {
    const manifest: Record<string, unknown>[] = [];
    const add = (
      name: string,
      what: Record<string, unknown>,
      data: Parameters<typeof formatNpy>[0],
      shape: number[],
    ) => {
      write(name, formatNpy(data, shape));
      manifest.push({ file: name, shape, ...what });
    };
    for (const m of maps)
      add(
        `step${stepNo(m.stepIdx)}_map_u${pad(Math.max(0, m.unit))}_${m.label.replace(/[^\w.=-]/g, '_')}.npy`,
        {
          step: m.stepIdx + 1,
          unit: m.unit,
          label: m.label,
          region: m.region,
          chipTimeS: m.timeS,
          unitName: 'µS',
        },
        m.microS,
        [m.region.rows, m.region.cols],
      );
    for (const p of programs) {
      const n = p.row.length;
      const base = `step${stepNo(p.stepIdx)}_program`;
      add(`${base}_row.npy`, { step: p.stepIdx + 1 }, p.row, [n]);
      add(`${base}_col.npy`, { step: p.stepIdx + 1 }, p.col, [n]);
      add(`${base}_target.npy`, { step: p.stepIdx + 1, unitName: 'µS' }, p.targetMicroS, [n]);
      add(`${base}_final.npy`, { step: p.stepIdx + 1, unitName: 'µS' }, p.finalMicroS, [n]);
      add(`${base}_pulses.npy`, { step: p.stepIdx + 1 }, p.pulses, [n]);
      add(`${base}_converged.npy`, { step: p.stepIdx + 1 }, p.converged, [n]);
    }
    for (const idx of [...new Set(batches.map((b) => b.stepIdx))]) {
      const bs = batches.filter((b) => b.stepIdx === idx);
      const n = bs.reduce((a, b) => a + b.batch, 0);
      const k = bs[0]!.rows.length;
      const c = bs[0]!.cols.length;
      const inputs = new Uint8Array(n * k);
      const counts = new Uint8Array(n * c);
      const labels = new Int32Array(n).fill(-1);
      let at = 0;
      for (const b of bs) {
        inputs.set(b.inputs, at * k);
        counts.set(b.counts, at * c);
        if (b.labels) labels.set(b.labels, at);
        at += b.batch;
      }
      add(`step${stepNo(idx)}_mvm_inputs.npy`, { step: idx + 1, rows: bs[0]!.rows }, inputs, [
        n,
        k,
      ]);
      add(
        `step${stepNo(idx)}_mvm_counts.npy`,
        {
          step: idx + 1,
          cols: bs[0]!.cols,
          mode: bs[0]!.mode,
          precisionBits: bs[0]!.precisionBits,
        },
        counts,
        [n, c],
      );
      add(`step${stepNo(idx)}_mvm_labels.npy`, { step: idx + 1 }, labels, [n]);
    }
    write(
      'manifest.json',
      `${JSON.stringify({ run: info, arrays: manifest, metrics, noiseModels: noise }, null, 2)}\n`,
    );
  } else if (format === 'csv') {
    const lines: string[] = ['step,unit,row,col,target_micro_s,final_micro_s,pulses,converged'];
    for (const p of programs)
      for (let i = 0; i < p.row.length; i++)
        lines.push(
          `${p.stepIdx + 1},${p.unit[i]},${p.row[i]},${p.col[i]},${p.targetMicroS[i]},${p.finalMicroS[i]},${p.pulses[i]},${p.converged[i]}`,
        );
    write('program_cells.csv', `${lines.join('\n')}\n`);
    const mapLines = ['step,unit,label,row,col,micro_s,chip_time_s'];
    for (const m of maps)
      for (let r = 0; r < m.region.rows; r++)
        for (let c = 0; c < m.region.cols; c++)
          mapLines.push(
            `${m.stepIdx + 1},${m.unit},${csvText(m.label)},${m.region.row + r},${m.region.col + c},${m.microS[r * m.region.cols + c]},${m.timeS}`,
          );
    write('maps.csv', `${mapLines.join('\n')}\n`);
    const mvmLines = ['step,sample,label,col,count'];
    for (const b of batches)
      for (let v = 0; v < b.batch; v++)
        for (let j = 0; j < b.cols.length; j++)
          mvmLines.push(
            `${b.stepIdx + 1},${b.firstSample + v},${b.labels ? b.labels[v] : -1},${b.cols[j]},${b.counts[v * b.cols.length + j]}`,
          );
    write('mvm.csv', `${mvmLines.join('\n')}\n`);
    write(
      'metrics.csv',
      `step,name,value,unit\n${metrics.map((m) => `${m.stepIdx + 1},${csvText(m.name)},${m.value},${csvText(m.unit)}`).join('\n')}\n`,
    );
    write('run.json', `${JSON.stringify({ run: info, noiseModels: noise }, null, 2)}\n`);
  } else {
    const body = {
      run: info,
      maps: maps.map((m) => ({ ...m, microS: Array.from(m.microS) })),
      programs: programs.map((p) => ({
        stepIdx: p.stepIdx,
        row: Array.from(p.row),
        col: Array.from(p.col),
        targetMicroS: Array.from(p.targetMicroS),
        finalMicroS: Array.from(p.finalMicroS),
        pulses: Array.from(p.pulses),
        converged: Array.from(p.converged),
      })),
      mvm: batches.map((b) => ({
        ...b,
        inputs: Array.from(b.inputs),
        counts: Array.from(b.counts),
        labels: b.labels ? Array.from(b.labels) : null,
      })),
      metrics,
      noiseModels: noise,
      modelVersions: reader.modelVersions(run.id),
    };
    write('run.json', `${JSON.stringify(body)}\n`);
  }
  return files;
}

function csvText(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

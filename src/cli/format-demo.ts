/** One plain log line per demo step: what was done, what came out, how long it took. */
import type { DemoReport, DemoStep } from '../demo/run-demo.ts';
import { duration, num, si } from './format.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The log line for a finished step. */
export function formatDemoStep(
  step: DemoStep,
  index: number,
  total: number,
  ms: number,
  r: Partial<DemoReport>,
): string {
  return `[${index}/${total}] ${step.padEnd(9)}  ${describeDemoStep(step, r)}  (${duration(ms / 1000)})`;
}

/** What a finished step did and measured, in a few words. */
export function describeDemoStep(step: DemoStep, r: Partial<DemoReport>): string {
  const { chip, readout, region, form, program, read, mvm } = r;
  switch (step) {
    case 'identify':
      return chip
        ? `${chip.model} serial ${chip.serial}${chip.emulated ? ' (emulated)' : ''}, ${chip.rows}×${chip.cols}, ` +
            `firmware ${chip.firmwareVersion}`
        : '';
    case 'configure':
      return readout
        ? `${readout.mode} readout, ${readout.precisionBits}-bit, Vref ${si(readout.readV, 'V')}, ` +
            `Vth ${si(readout.vthV, 'V')}, window ${si(readout.integrationWindowS, 's')}`
        : '';
    case 'form':
      return form && region
        ? `${region.rows}×${region.cols} region: ${form.formed}/${form.cells} cells formed, ` +
            `${num(form.pulsesMean)} forming pulses/cell`
        : '';
    case 'program':
      return program
        ? `write-verify to a gradient checkerboard (±${num(program.toleranceMicroS)} µS): ` +
            `${pct(program.converged)} converged, ${num(program.pulsesMean)} pulses/cell (max ${program.pulsesMax})`
        : '';
    case 'read':
      return read
        ? `read back after write-verify (average of ${read.average}): ` +
            `${pct(read.withinTolerance)} within tolerance, RMS error ${num(read.errorRmsMicroS)} µS — ` +
            `lower than converged because the cells relaxed after their last verify`
        : '';
    case 'mvm':
      return mvm
        ? `${mvm.batch} random ${mvm.precisionBits}-bit vectors: counts mean ${num(mvm.counts.mean)} ` +
            `σ ${num(mvm.counts.std)} [${mvm.counts.min}, ${mvm.counts.max}], ${pct(mvm.saturatedFraction)} saturated; ` +
            `energy ${si(mvm.energyJ, 'J')} (${num(mvm.pjPerMac)} pJ/MAC on ${region?.rows ?? 0}×${region?.cols ?? 0}), chip time ${si(mvm.chipTimeS, 's')}, ` +
            `host ${num(mvm.hostMvmPerS)} MVM/s`
        : '';
    case 'datasheet': {
      const ds = r.datasheet;
      return ds
        ? `${num(ds.pjPerMac)} pJ/MAC, ${num(ds.powerMw)} mW, ${num(ds.gops8bit)} GOPS and ` +
            `${num(ds.latencyNs8bit)} ns at 8-bit, ${num(ds.mvmPerS)} full-array MVM/s`
        : `no physics model for chip model '${chip?.model ?? '?'}'`;
    }
  }
}

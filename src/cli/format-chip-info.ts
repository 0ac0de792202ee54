/** The readable text layout of a chip's identity, limits and datasheet figures. */
import type { ChipInfo } from '../../drivers/driver.ts';
import type { Datasheet } from '../../drivers/factory.ts';
import { alignRows, num, si, siRange } from './format.ts';

/** Identity, geometry, capabilities and the full safe operating area. */
export function formatChipInfo(info: ChipInfo): string {
  const l = info.limits;
  const bits = info.precisionBits;
  const identity = alignRows([
    ['Model', `${info.model}${info.emulated ? '  (emulated)' : ''}`],
    ['Serial', info.serial],
    ['Firmware', `${info.firmwareVersion}, protocol v${info.protocolVersion}`],
    ['Array', `${info.rows} rows × ${info.cols} cols (${num(info.rows * info.cols, 6)} cells)`],
    ['Readout modes', info.readoutModes.join(', ')],
    ['Precision', bits.min === bits.max ? `${bits.min} bit` : `${bits.min}–${bits.max} bit`],
    ['Clock', si(info.clockHz, 'Hz')],
    ['Conductance window', siRange(scaleRange(info.conductanceWindowMicroS, 1e-6), 'S')],
  ]);
  const soa = alignRows(
    [
      [
        'SET pulse',
        `amplitude ${siRange(l.set.amplitudeV, 'V')}, gate ${siRange(l.set.gateV, 'V')}`,
      ],
      [
        'RESET pulse',
        `amplitude ${siRange(l.reset.amplitudeV, 'V')}, gate ${siRange(l.reset.gateV, 'V')}`,
      ],
      ['Pulse width', siRange(l.pulseWidthS, 's')],
      ['Read voltage (Vref)', siRange(l.readV, 'V')],
      ['IFC threshold (Vth)', siRange(l.vthV, 'V')],
      [
        'Forming',
        `amplitude ${siRange(l.forming.amplitudeV, 'V')}, gate ${siRange(l.forming.gateV, 'V')}, ` +
          `width ${siRange(l.forming.widthS, 's')}, ≤ ${l.forming.maxPulses} pulses/cell`,
      ],
      [
        'Write-verify',
        `≤ ${l.maxProgramIterations} iterations, ≤ ${l.maxProgramPulsesPerPolarity} pulses per polarity per cell`,
      ],
      ['Read averaging', `≤ ${l.maxReadAverage} reads`],
      ['MVM batch', `≤ ${num(l.maxMvmBatch, 9)} vectors`],
    ],
    '  ',
  );
  return `${identity}\n\nSafe operating area\n${soa}\n`;
}

/** The datasheet figures, or a line saying the model has none. */
export function formatDatasheet(model: string, ds: Datasheet | undefined): string {
  if (!ds) return `Datasheet\n  no physics model for chip model '${model}': no datasheet figures\n`;
  const c = ds.conditions;
  const head = `Datasheet (computed from the model at ${c.precisionBits}-bit, ${si(c.clockHz, 'Hz')}, input activity ${num(c.inputActivity)})`;
  const rows: [string, string][] = [
    ['Macro energy', `${num(ds.pjPerMac)} pJ/MAC`],
    ['Macro average power', `${num(ds.powerMw)} mW`],
    ['Readout at 8-bit', `${num(ds.gops8bit)} GOPS, latency ${num(ds.latencyNs8bit)} ns`],
  ];
  if (c.precisionBits !== 8)
    rows.push([
      `Readout at ${c.precisionBits}-bit`,
      `${num(ds.gops)} GOPS, latency ${num(ds.latencyNs)} ns`,
    ]);
  rows.push(['Full-array MVMs', `${num(ds.mvmPerS)} /s`]);
  return `${head}\n${alignRows(rows, '  ')}\n`;
}

/** The datasheet as it appears in JSON output (`null` when the model has none). */
export function datasheetJson(ds: Datasheet | undefined) {
  if (!ds) return null;
  const { pjPerMac, powerMw, gops8bit, latencyNs8bit, gops, latencyNs, mvmPerS, conditions } = ds;
  return { pjPerMac, powerMw, gops8bit, latencyNs8bit, gops, latencyNs, mvmPerS, conditions };
}

function scaleRange(r: { min: number; max: number }, k: number) {
  return { min: r.min * k, max: r.max * k };
}

// drivers/limits.ts on its own, against a small hand-written chip so every bound is an exact
// number: each check is probed just inside and just outside each end of its range, and the
// error's code, field and figures are asserted (callers and the UI read them).
import assert from 'node:assert/strict';
import type {
  BenchErrorCode,
  ChipInfo,
  MvmRequest,
  ProgramRequest,
  PulseRequest,
  ReadoutConfig,
} from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import {
  FORM_DEFAULTS,
  MAX_INTEGRATION_WINDOW_S,
  MAX_PULSE_COUNT,
  checkConfigure,
  checkForm,
  checkMvm,
  checkProgram,
  checkPulse,
  checkRead,
  checkRegion,
  within,
} from '../../drivers/limits.ts';

const info: ChipInfo = {
  model: 'test-chip',
  serial: 'T1',
  firmwareVersion: '1.0.0',
  protocolVersion: 1,
  rows: 8,
  cols: 6,
  readoutModes: ['COUNT'],
  precisionBits: { min: 2, max: 8 },
  clockHz: 1e8,
  conductanceWindowMicroS: { min: 1, max: 40 },
  limits: {
    set: { amplitudeV: { min: 0.5, max: 2 }, gateV: { min: 0.8, max: 1.5 } },
    reset: { amplitudeV: { min: 0.6, max: 2.5 }, gateV: { min: 2, max: 3 } },
    pulseWidthS: { min: 1e-8, max: 1e-4 },
    readV: { min: 0.05, max: 0.3 },
    vthV: { min: 0.2, max: 1 },
    forming: {
      amplitudeV: { min: 2, max: 4 },
      gateV: { min: 0.9, max: 1.3 },
      widthS: { min: 1e-6, max: 1e-4 },
      maxPulses: 11,
    },
    maxProgramPulsesPerPolarity: 20,
    maxProgramIterations: 50,
    maxReadAverage: 16,
    maxMvmBatch: 4,
  },
  emulated: true,
};

/** Run `f`, require a BenchError with `code`, and return it for further checks. */
function rejects(f: () => unknown, code: BenchErrorCode, message?: RegExp): BenchError {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof BenchError, `expected a BenchError ${code}, got ${String(thrown)}`);
  assert.equal(thrown.code, code, thrown.message);
  if (message) assert.match(thrown.message, message);
  return thrown;
}

const pulse = (over: Partial<PulseRequest> = {}): PulseRequest => ({
  row: 0,
  col: 0,
  polarity: 'SET',
  amplitudeV: 1,
  widthS: 1e-6,
  gateV: 1,
  ...over,
});

const config: ReadoutConfig = {
  precisionBits: 8,
  readV: 0.1,
  vthV: 0.5,
  integrationWindowS: 1e-4,
  mode: 'COUNT',
  ttfsStopFraction: 1,
};

describe('limits', () => {
  it('exports the documented defaults', () => {
    assert.deepEqual(FORM_DEFAULTS, { stepV: 0.1, gateV: 1.2, widthS: 10e-6 });
    assert.equal(MAX_INTEGRATION_WINDOW_S, 1e-3);
    assert.equal(MAX_PULSE_COUNT, 1000);
  });

  describe('within', () => {
    it('accepts both ends of the range and returns the value', () => {
      assert.equal(within('x', 1, { min: 1, max: 2 }, 'V'), 1);
      assert.equal(within('x', 2, { min: 1, max: 2 }, 'V'), 2);
    });
    it('throws LIMIT just outside either end, naming field, value, unit and limit', () => {
      const lo = rejects(
        () => within('set amplitude', 0.999, { min: 1, max: 2 }, 'V'),
        'LIMIT',
        /^set amplitude 0\.999 V is outside the chip's limit \[1, 2\] V$/,
      );
      assert.deepEqual(lo.context, {
        field: 'set amplitude',
        value: 0.999,
        limit: { min: 1, max: 2 },
      });
      rejects(() => within('x', 2.001, { min: 1, max: 2 }, 'V'), 'LIMIT');
    });
    it('throws INVALID_ARGUMENT for anything that is not a finite number', () => {
      for (const bad of [NaN, Infinity, -Infinity, '1', undefined, null]) {
        const e = rejects(
          () => within('x', bad, { min: -10, max: 10 }, 'V'),
          'INVALID_ARGUMENT',
          /^x must be a finite number, got /,
        );
        assert.equal(e.context.field, 'x', `field for ${String(bad)}`);
        assert.equal(e.context.value, bad, `value for ${String(bad)}`);
      }
    });
  });

  describe('checkRegion', () => {
    it('accepts the whole array and single corner cells', () => {
      checkRegion(info, { row: 0, col: 0, rows: 8, cols: 6 });
      checkRegion(info, { row: 7, col: 5, rows: 1, cols: 1 });
    });
    it('rejects a missing region and names the field', () => {
      const e = rejects(
        () => checkRegion(info, null as never, 'weights'),
        'INVALID_ARGUMENT',
        /^weights is missing$/,
      );
      assert.deepEqual(e.context, { field: 'weights' });
      rejects(
        () => checkRegion(info, undefined as never),
        'INVALID_ARGUMENT',
        /^region is missing/,
      );
    });
    const cases: [string, { row: number; col: number; rows: number; cols: number }, RegExp][] = [
      [
        'row below 0',
        { row: -1, col: 0, rows: 1, cols: 1 },
        /^r\.row must be an integer in \[0, 7\], got -1$/,
      ],
      [
        'row past the array',
        { row: 8, col: 0, rows: 1, cols: 1 },
        /^r\.row must be an integer in \[0, 7\]/,
      ],
      [
        'col below 0',
        { row: 0, col: -1, rows: 1, cols: 1 },
        /^r\.col must be an integer in \[0, 5\]/,
      ],
      ['col past the array', { row: 0, col: 6, rows: 1, cols: 1 }, /^r\.col .*\[0, 5\]/],
      ['no rows', { row: 0, col: 0, rows: 0, cols: 1 }, /^r\.rows must be an integer in \[1, 8\]/],
      [
        'rows overrun',
        { row: 3, col: 0, rows: 6, cols: 1 },
        /^r\.rows must be an integer in \[1, 5\], got 6$/,
      ],
      ['no cols', { row: 0, col: 0, rows: 1, cols: 0 }, /^r\.cols must be an integer in \[1, 6\]/],
      [
        'cols overrun',
        { row: 0, col: 2, rows: 1, cols: 5 },
        /^r\.cols must be an integer in \[1, 4\]/,
      ],
      ['fractional row', { row: 0.5, col: 0, rows: 1, cols: 1 }, /^r\.row must be an integer/],
    ];
    for (const [what, region, message] of cases)
      it(`rejects ${what}`, () => {
        const e = rejects(() => checkRegion(info, region, 'r'), 'INVALID_ARGUMENT', message);
        assert.equal(typeof e.context.field, 'string');
        assert.ok(String(e.context.field).startsWith('r.'), String(e.context.field));
      });
    it('an overrunning region fits exactly when shrunk by one', () => {
      checkRegion(info, { row: 3, col: 2, rows: 5, cols: 4 });
    });
  });

  describe('checkPulse', () => {
    it('fills count = 1 and keeps the rest', () => {
      assert.deepEqual(checkPulse(info, pulse()), { ...pulse(), count: 1 });
      assert.equal(checkPulse(info, pulse({ count: MAX_PULSE_COUNT })).count, MAX_PULSE_COUNT);
    });
    it('accepts the last cell and rejects one past it', () => {
      checkPulse(info, pulse({ row: 7, col: 5 }));
      rejects(() => checkPulse(info, pulse({ row: 8 })), 'INVALID_ARGUMENT', /^row /);
      rejects(() => checkPulse(info, pulse({ col: 6 })), 'INVALID_ARGUMENT', /^col /);
      rejects(() => checkPulse(info, pulse({ row: -1 })), 'INVALID_ARGUMENT', /^row /);
      rejects(() => checkPulse(info, pulse({ col: -1 })), 'INVALID_ARGUMENT', /^col /);
    });
    it('rejects an unknown polarity', () => {
      const e = rejects(
        () => checkPulse(info, pulse({ polarity: 'set' as never })),
        'INVALID_ARGUMENT',
        /^polarity must be SET or RESET, got set$/,
      );
      assert.deepEqual(e.context, { field: 'polarity' });
    });
    it('checks SET against the SET area and RESET against the RESET area', () => {
      // 2.2 V is inside RESET's amplitude range but above SET's.
      rejects(
        () => checkPulse(info, pulse({ amplitudeV: 2.2 })),
        'LIMIT',
        /^set amplitude 2\.2 V .*\[0\.5, 2\] V$/,
      );
      checkPulse(info, pulse({ polarity: 'RESET', amplitudeV: 2.2, gateV: 2.5 }));
      // A SET gate is outside RESET's gate range.
      rejects(
        () => checkPulse(info, pulse({ polarity: 'RESET', gateV: 1 })),
        'LIMIT',
        /^reset gate voltage 1 V/,
      );
      rejects(() => checkPulse(info, pulse({ gateV: 1.6 })), 'LIMIT', /^set gate voltage 1\.6 V/);
      rejects(
        () => checkPulse(info, pulse({ polarity: 'RESET', amplitudeV: 0.55, gateV: 2.5 })),
        'LIMIT',
        /^reset amplitude 0\.55 V/,
      );
    });
    it('checks the pulse width and the count', () => {
      rejects(() => checkPulse(info, pulse({ widthS: 2e-4 })), 'LIMIT', /^pulse width 0\.0002 s/);
      rejects(() => checkPulse(info, pulse({ widthS: 1e-9 })), 'LIMIT', /^pulse width/);
      rejects(
        () => checkPulse(info, pulse({ count: 0 })),
        'INVALID_ARGUMENT',
        /^count must be a whole number >= 1, got 0$/,
      );
      // Over the chip's limit is LIMIT (docs/protocol.md: one error-code rule).
      rejects(
        () => checkPulse(info, pulse({ count: MAX_PULSE_COUNT + 1 })),
        'LIMIT',
        /^count 1001 pulses is outside the chip's limit \[1, 1000\] pulses$/,
      );
      rejects(() => checkPulse(info, pulse({ count: 1.5 })), 'INVALID_ARGUMENT');
    });
  });

  describe('checkRead', () => {
    const region = { row: 0, col: 0, rows: 2, cols: 2 };
    it('returns the averaging, 1 by default, up to the limit', () => {
      assert.equal(checkRead(info, { region }), 1);
      assert.equal(checkRead(info, { region, average: 16 }), 16);
    });
    it('rejects averaging outside [1, limit] and a bad region', () => {
      rejects(
        () => checkRead(info, { region, average: 17 }),
        'LIMIT',
        /^average 17 reads is outside the chip's limit \[1, 16\] reads$/,
      );
      rejects(() => checkRead(info, { region, average: 0 }), 'INVALID_ARGUMENT', /^average /);
      rejects(
        () => checkRead(info, { region: { ...region, rows: 9 } }),
        'INVALID_ARGUMENT',
        /^region\.rows/,
      );
    });
  });

  describe('checkForm', () => {
    const region = { row: 0, col: 0, rows: 1, cols: 1 };
    it('fills the ramp from the forming limits and FORM_DEFAULTS', () => {
      // 2 → 4 V in 0.2 V steps is 11 pulses, exactly the limit.
      const full = checkForm(info, { region, stepV: 0.2 });
      assert.deepEqual(full, {
        region,
        startV: 2,
        stopV: 4,
        stepV: 0.2,
        gateV: FORM_DEFAULTS.gateV,
        widthS: FORM_DEFAULTS.widthS,
      });
    });
    it('uses the default step when none is given', () => {
      const full = checkForm(info, { region, startV: 3, stopV: 3.5 });
      assert.equal(full.stepV, FORM_DEFAULTS.stepV);
      assert.equal(full.startV, 3);
      assert.equal(full.stopV, 3.5);
    });
    it('rejects a ramp of more pulses than the limit, naming the count', () => {
      // 2 → 4 V in 0.1 V steps is 21 pulses.
      const e = rejects(
        () => checkForm(info, { region }),
        'LIMIT',
        /^forming ramp of 21 pulses exceeds the chip's limit of 11 per cell$/,
      );
      assert.deepEqual(e.context, { field: 'forming pulses', value: 21, limit: 11 });
      // 12 pulses: one over.
      rejects(() => checkForm(info, { region, startV: 2, stopV: 3.1, stepV: 0.1 }), 'LIMIT');
      // 11 pulses, counted without floating-point loss (1.0 / 0.1 is 9.999…).
      checkForm(info, { region, startV: 2, stopV: 3, stepV: 0.1 });
    });
    it('checks each amplitude, the gate and the width against the forming limits', () => {
      rejects(
        () => checkForm(info, { region, startV: 1.9, stepV: 1 }),
        'LIMIT',
        /^forming start amplitude 1\.9 V/,
      );
      rejects(
        () => checkForm(info, { region, stopV: 4.1, stepV: 1 }),
        'LIMIT',
        /^forming stop amplitude 4\.1 V/,
      );
      rejects(
        () => checkForm(info, { region, gateV: 1.4, stepV: 1 }),
        'LIMIT',
        /^forming gate voltage 1\.4 V/,
      );
      rejects(
        () => checkForm(info, { region, widthS: 2e-4, stepV: 1 }),
        'LIMIT',
        /^forming pulse width 0\.0002 s is outside .*\] s$/,
      );
    });
    it('rejects a non-positive or non-finite step and a ramp that runs backwards', () => {
      rejects(
        () => checkForm(info, { region, stepV: 0 }),
        'INVALID_ARGUMENT',
        /^forming step must be positive, got 0$/,
      );
      const step = rejects(
        () => checkForm(info, { region, stepV: -0.1 }),
        'INVALID_ARGUMENT',
        /^forming step/,
      );
      assert.deepEqual(step.context, { field: 'stepV' });
      rejects(
        () => checkForm(info, { region, stepV: NaN }),
        'INVALID_ARGUMENT',
        /^forming step must be a finite/,
      );
      const e = rejects(
        () => checkForm(info, { region, startV: 3, stopV: 2.5 }),
        'INVALID_ARGUMENT',
        /^forming stop amplitude 2\.5 V is below its start 3 V$/,
      );
      assert.deepEqual(e.context, { field: 'stopV' });
      // start = stop is one pulse, allowed.
      checkForm(info, { region, startV: 3, stopV: 3 });
    });
    it('checks the region', () => {
      rejects(
        () => checkForm(info, { region: { ...region, col: 6 } }),
        'INVALID_ARGUMENT',
        /^region\.col/,
      );
    });
  });

  describe('checkProgram', () => {
    const region = { row: 1, col: 2, rows: 2, cols: 3 };
    const req = (over: Partial<ProgramRequest> = {}): ProgramRequest => ({
      region,
      targetsMicroS: new Float32Array(6).fill(10),
      ...over,
    });
    it('fills the defaults from the chip limits', () => {
      const r = req();
      assert.deepEqual(checkProgram(info, r), {
        region,
        targetsMicroS: r.targetsMicroS,
        toleranceMicroS: 1,
        maxIterations: 50,
        maxPulsesPerPolarity: 20,
        verifyAverage: 1,
      });
    });
    it('keeps explicit settings at the limits', () => {
      const full = checkProgram(
        info,
        req({ toleranceMicroS: 0, maxIterations: 50, maxPulsesPerPolarity: 20, verifyAverage: 16 }),
      );
      assert.equal(full.toleranceMicroS, 0);
      assert.equal(full.maxIterations, 50);
      assert.equal(full.maxPulsesPerPolarity, 20);
      assert.equal(full.verifyAverage, 16);
    });
    it('requires a Float32Array of exactly rows × cols targets', () => {
      const e = rejects(
        () => checkProgram(info, req({ targetsMicroS: new Float32Array(5) })),
        'INVALID_ARGUMENT',
        /^targets must be a Float32Array of 6 values \(region 2×3\)$/,
      );
      assert.deepEqual(e.context, { field: 'targetsMicroS', expected: 6, got: 5 });
      rejects(
        () => checkProgram(info, req({ targetsMicroS: new Float32Array(7) })),
        'INVALID_ARGUMENT',
      );
      const plain = rejects(
        () => checkProgram(info, req({ targetsMicroS: [1, 2, 3, 4, 5, 6] as never })),
        'INVALID_ARGUMENT',
      );
      assert.equal(plain.context.got, 6);
      const missing = rejects(
        () => checkProgram(info, req({ targetsMicroS: undefined as never })),
        'INVALID_ARGUMENT',
      );
      assert.equal(missing.context.got, undefined);
    });
    it('accepts targets at both ends of the window', () => {
      checkProgram(info, req({ targetsMicroS: Float32Array.from([1, 40, 1, 40, 1, 40]) }));
    });
    it('rejects a target outside the window with LIMIT, naming the cell in chip coordinates', () => {
      const t = new Float32Array(6).fill(10);
      t[4] = 40.5; // region index 4 = second row, second column → cell (2, 3)
      const e = rejects(
        () => checkProgram(info, req({ targetsMicroS: t })),
        'LIMIT',
        /^target 40\.5 µS at cell \(2, 3\) is outside the conductance window \[1, 40\] µS$/,
      );
      assert.deepEqual(e.context, {
        field: 'targetsMicroS',
        row: 2,
        col: 3,
        value: 40.5,
        limit: { min: 1, max: 40 },
      });
      t[4] = 10;
      t[2] = 0.5; // index 2 → cell (1, 4)
      const low = rejects(
        () => checkProgram(info, req({ targetsMicroS: t })),
        'LIMIT',
        /at cell \(1, 4\)/,
      );
      assert.equal(low.context.value, 0.5);
    });
    it('rejects a non-finite target with INVALID_ARGUMENT', () => {
      const t = new Float32Array(6).fill(10);
      t[5] = NaN;
      rejects(
        () => checkProgram(info, req({ targetsMicroS: t })),
        'INVALID_ARGUMENT',
        /^target NaN µS at cell \(2, 4\)/,
      );
      t[5] = Infinity;
      rejects(
        () => checkProgram(info, req({ targetsMicroS: t })),
        'INVALID_ARGUMENT',
        /^target Infinity/,
      );
    });
    it('rejects a negative or non-finite tolerance', () => {
      const e = rejects(
        () => checkProgram(info, req({ toleranceMicroS: -0.1 })),
        'INVALID_ARGUMENT',
        /^tolerance must be ≥ 0 µS, got -0\.1$/,
      );
      assert.deepEqual(e.context, { field: 'toleranceMicroS' });
      rejects(
        () => checkProgram(info, req({ toleranceMicroS: NaN })),
        'INVALID_ARGUMENT',
        /^tolerance must be a finite/,
      );
    });
    it('rejects iteration and pulse caps above the chip limit (LIMIT) or malformed (INVALID_ARGUMENT)', () => {
      rejects(
        () => checkProgram(info, req({ maxIterations: 51 })),
        'LIMIT',
        /^iterations per cell 51 iterations is outside .*\[1, 50\] iterations$/,
      );
      rejects(
        () => checkProgram(info, req({ maxIterations: 0 })),
        'LIMIT',
        /^iterations per cell 0/,
      );
      rejects(
        () => checkProgram(info, req({ maxPulsesPerPolarity: 21 })),
        'LIMIT',
        /^pulses per polarity 21 pulses is outside .*\[1, 20\] pulses$/,
      );
      rejects(
        () => checkProgram(info, req({ maxPulsesPerPolarity: 0 })),
        'LIMIT',
        /^pulses per polarity 0 /,
      );
      rejects(
        () => checkProgram(info, req({ maxIterations: 2.5 })),
        'INVALID_ARGUMENT',
        /^maxIterations must be an integer in \[1, 50\]/,
      );
      rejects(
        () => checkProgram(info, req({ maxPulsesPerPolarity: 2.5 })),
        'INVALID_ARGUMENT',
        /^maxPulsesPerPolarity must be an integer in \[1, 20\]/,
      );
      rejects(
        () => checkProgram(info, req({ verifyAverage: 17 })),
        'LIMIT',
        /^verifyAverage 17 reads is outside the chip's limit \[1, 16\] reads$/,
      );
      rejects(
        () => checkProgram(info, req({ verifyAverage: 0 })),
        'INVALID_ARGUMENT',
        /^verifyAverage/,
      );
    });
    it('checks the region first', () => {
      rejects(
        () => checkProgram(info, req({ region: { ...region, row: 8 } })),
        'INVALID_ARGUMENT',
        /^region\.row/,
      );
    });
  });

  describe('checkConfigure', () => {
    const windowFor = (bits: number) => bits * 1e-5;
    it('merges the change into the current configuration', () => {
      assert.deepEqual(checkConfigure(info, config, { readV: 0.3, vthV: 0.2 }, windowFor), {
        ...config,
        readV: 0.3,
        vthV: 0.2,
      });
      assert.deepEqual(checkConfigure(info, config, {}, windowFor), config);
    });
    it('derives the window from a new precision unless the change sets one', () => {
      assert.equal(
        checkConfigure(info, config, { precisionBits: 4 }, windowFor).integrationWindowS,
        4e-5,
      );
      assert.equal(
        checkConfigure(info, config, { precisionBits: 4, integrationWindowS: 2e-4 }, windowFor)
          .integrationWindowS,
        2e-4,
      );
      // A change that does not touch the precision keeps the current window.
      assert.equal(
        checkConfigure(info, config, { readV: 0.2 }, windowFor).integrationWindowS,
        1e-4,
      );
    });
    it('checks the precision against the chip', () => {
      checkConfigure(info, config, { precisionBits: 2 }, windowFor);
      rejects(
        () => checkConfigure(info, config, { precisionBits: 1 }, windowFor),
        'INVALID_ARGUMENT',
        /^precision .*\[2, 8\]/,
      );
      rejects(
        () => checkConfigure(info, config, { precisionBits: 9 }, windowFor),
        'INVALID_ARGUMENT',
        /^precision /,
      );
    });
    it('checks Vref and Vth against their limits', () => {
      rejects(
        () => checkConfigure(info, config, { readV: 0.31 }, windowFor),
        'LIMIT',
        /^read voltage \(Vref\) 0\.31 V/,
      );
      rejects(
        () => checkConfigure(info, config, { vthV: 1.1 }, windowFor),
        'LIMIT',
        /^capacitor threshold \(Vth\) 1\.1 V/,
      );
    });
    it('rejects a readout mode the chip lacks, listing the supported ones', () => {
      const e = rejects(
        () => checkConfigure(info, config, { mode: 'TTFS' }, windowFor),
        'INVALID_ARGUMENT',
        /^readout mode TTFS is not supported \(supported: COUNT\)$/,
      );
      assert.deepEqual(e.context, { field: 'mode' });
      const twoModes: ChipInfo = { ...info, readoutModes: ['COUNT', 'TTFS'] };
      checkConfigure(twoModes, config, { mode: 'TTFS' }, windowFor);
      rejects(
        () => checkConfigure(twoModes, config, { mode: 'RATE' as never }, windowFor),
        'INVALID_ARGUMENT',
        /\(supported: COUNT, TTFS\)$/,
      );
    });
    it('bounds the integration window to (0, MAX_INTEGRATION_WINDOW_S]', () => {
      checkConfigure(info, config, { integrationWindowS: MAX_INTEGRATION_WINDOW_S }, windowFor);
      const e = rejects(
        () => checkConfigure(info, config, { integrationWindowS: 0.0011 }, windowFor),
        'LIMIT',
        /^integration window 0\.0011 s is outside \(0, 0\.001\] s$/,
      );
      assert.deepEqual(e.context, { field: 'integrationWindowS', value: 0.0011 });
      rejects(() => checkConfigure(info, config, { integrationWindowS: 0 }, windowFor), 'LIMIT');
      rejects(
        () => checkConfigure(info, config, { integrationWindowS: -1e-5 }, windowFor),
        'LIMIT',
      );
      rejects(
        () => checkConfigure(info, config, { integrationWindowS: NaN }, windowFor),
        'INVALID_ARGUMENT',
        /^integration window must be a finite/,
      );
      // A derived window is checked too.
      rejects(() => checkConfigure(info, config, { precisionBits: 8 }, () => 2e-3), 'LIMIT');
    });
    it('bounds the TTFS stop fraction to (0, 1]', () => {
      checkConfigure(info, config, { ttfsStopFraction: 1 }, windowFor);
      checkConfigure(info, config, { ttfsStopFraction: 0.01 }, windowFor);
      const e = rejects(
        () => checkConfigure(info, config, { ttfsStopFraction: 1.01 }, windowFor),
        'INVALID_ARGUMENT',
        /^TTFS stop fraction must be in \(0, 1\], got 1\.01$/,
      );
      assert.deepEqual(e.context, { field: 'ttfsStopFraction' });
      rejects(
        () => checkConfigure(info, config, { ttfsStopFraction: 0 }, windowFor),
        'INVALID_ARGUMENT',
      );
      rejects(
        () => checkConfigure(info, config, { ttfsStopFraction: NaN }, windowFor),
        'INVALID_ARGUMENT',
        /^TTFS stop fraction must be a finite/,
      );
    });
  });

  describe('checkMvm', () => {
    const mvm = (over: Partial<MvmRequest> = {}): MvmRequest => ({
      rows: [0, 1, 7],
      cols: [5, 0],
      inputs: new Uint8Array(6),
      ...over,
    });
    it('returns the batch size, up to the chip limit', () => {
      assert.equal(checkMvm(info, mvm(), 8), 2);
      assert.equal(checkMvm(info, mvm({ inputs: new Uint8Array(12) }), 8), 4);
    });
    it('rejects a batch over the limit with LIMIT', () => {
      const e = rejects(
        () => checkMvm(info, mvm({ inputs: new Uint8Array(15) }), 8),
        'LIMIT',
        /^batch of 5 vectors exceeds the chip's limit of 4$/,
      );
      assert.deepEqual(e.context, { field: 'batch', value: 5, limit: 4 });
    });
    it('rejects empty, out-of-range and repeated lines', () => {
      const empty = rejects(
        () => checkMvm(info, mvm({ rows: [] }), 8),
        'INVALID_ARGUMENT',
        /^rows must be a non-empty list of indices$/,
      );
      assert.deepEqual(empty.context, { field: 'rows' });
      rejects(
        () => checkMvm(info, mvm({ cols: [] }), 8),
        'INVALID_ARGUMENT',
        /^cols must be a non-empty/,
      );
      rejects(
        () => checkMvm(info, mvm({ rows: 'abc' as never }), 8),
        'INVALID_ARGUMENT',
        /^rows must be/,
      );
      rejects(
        () => checkMvm(info, mvm({ rows: [0, 1, 8] }), 8),
        'INVALID_ARGUMENT',
        /^rows index must be an integer in \[0, 7\]/,
      );
      rejects(
        () => checkMvm(info, mvm({ cols: [6, 0] }), 8),
        'INVALID_ARGUMENT',
        /^cols index must be an integer in \[0, 5\]/,
      );
      const twice = rejects(
        () => checkMvm(info, mvm({ rows: [0, 7, 7] }), 8),
        'INVALID_ARGUMENT',
        /^rows lists line 7 twice$/,
      );
      assert.deepEqual(twice.context, { field: 'rows', value: 7 });
      rejects(
        () => checkMvm(info, mvm({ cols: [0, 0] }), 8),
        'INVALID_ARGUMENT',
        /^cols lists line 0 twice$/,
      );
    });
    it('requires a Uint8Array holding whole vectors', () => {
      const notBytes = rejects(
        () => checkMvm(info, mvm({ inputs: [0, 0, 0] as never }), 8),
        'INVALID_ARGUMENT',
        /^inputs must be a Uint8Array$/,
      );
      assert.deepEqual(notBytes.context, { field: 'inputs' });
      const ragged = rejects(
        () => checkMvm(info, mvm({ inputs: new Uint8Array(7) }), 8),
        'INVALID_ARGUMENT',
        /^inputs hold 7 values, not a whole number of 3-element vectors$/,
      );
      assert.deepEqual(ragged.context, { field: 'inputs' });
      rejects(
        () => checkMvm(info, mvm({ inputs: new Uint8Array(0) }), 8),
        'INVALID_ARGUMENT',
        /^inputs hold 0 values/,
      );
    });
    it('rejects an input above the largest pulse count at the precision in force', () => {
      const inputs = Uint8Array.from([3, 3, 3, 3, 3, 4]);
      const e = rejects(
        () => checkMvm(info, mvm({ inputs }), 2),
        'INVALID_ARGUMENT',
        /^input 4 \(vector 1, element 2\) exceeds 3, the largest 2-bit pulse count$/,
      );
      assert.deepEqual(e.context, { field: 'inputs', index: 5, value: 4, limit: 3 });
      assert.equal(checkMvm(info, mvm({ inputs: inputs.map(() => 3) }), 2), 2);
      assert.equal(checkMvm(info, mvm({ inputs: inputs.map(() => 127) }), 7), 2);
      rejects(
        () => checkMvm(info, mvm({ inputs: inputs.map(() => 128) }), 7),
        'INVALID_ARGUMENT',
        /exceeds 127/,
      );
      // The first input is checked too.
      rejects(
        () => checkMvm(info, mvm({ inputs: Uint8Array.from([4, 0, 0]) }), 2),
        'INVALID_ARGUMENT',
        /vector 0, element 0/,
      );
      assert.equal(checkMvm(info, mvm({ inputs: inputs.map(() => 255) }), 8), 2);
    });
  });
});

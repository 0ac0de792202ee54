import assert from 'node:assert/strict';
import { isBenchError } from '../../drivers/driver.ts';
import { emulatedChipInfo } from '../../drivers/emulator/emulator-driver.ts';
import { loadProfile } from '../../drivers/emulator/profile.ts';
import { CellStatus } from '../../src/programming/cell-status.ts';
import { acceptWindow, isppSettings } from '../../src/programming/ispp-settings.ts';
import { IsppState } from '../../src/programming/ispp-state.ts';
import { pulseHistogram } from '../../src/programming/pulse-histogram.ts';

const info = emulatedChipInfo(loadProfile('vlsi19-hfo2-256'), 1);

/** A soft-bound cell: each pulse moves G by s(V) of the way to its saturation level. */
function softCell(g: number, slope = 0.08, onset = 1.0) {
  return {
    g,
    pulse(polarity: 'SET' | 'RESET', v: number) {
      const s = Math.min(1, slope * Math.max(0, v - onset));
      this.g += polarity === 'SET' ? s * (59.5 - this.g) : -s * (this.g - 0.5);
    },
  };
}

function drive(
  state: IsppState,
  cells: { g: number; pulse(p: 'SET' | 'RESET', v: number): void }[],
  moves = true,
) {
  for (let it = 0; it < 200; it++) {
    let any = false;
    cells.forEach((c, k) => {
      if (!state.isPending(k)) return;
      state.verify(k, c.g, it);
      const p = state.nextPulse(k);
      if (!p) return;
      any = true;
      if (moves) c.pulse(p.polarity, p.amplitudeV);
      state.applied(k, 1);
    });
    if (!any) return;
  }
}

describe('host ISPP', () => {
  it('resolves defaults within the chip limits and refuses bad options naming the field', () => {
    const s = isppSettings(info);
    assert.deepEqual([s.set.startV, s.set.stepV, s.set.stopV, s.set.gateV], [1.2, 0.1, 4, 3.3]);
    assert.equal(s.toleranceMicroS, 1);
    assert.equal(s.verifyAverage, 8);
    assert.equal(s.maxPulsesPerPolarity, 30);
    for (const [o, field] of [
      [{ set: { stopV: 4.5 } }, 'set.stopV'],
      [{ reset: { startV: 0.1 } }, 'reset.startV'],
      [{ verifyAverage: 65 }, 'verifyAverage'],
      [{ toleranceMicroS: 0 }, 'toleranceMicroS'],
      [{ maxIterations: 51 }, 'maxIterations'],
    ] as const)
      assert.throws(
        () => isppSettings(info, o),
        (e) => isBenchError(e, 'INVALID_ARGUMENT') && e.context.field === field,
      );
  });

  it('guards the acceptance window by the verify read noise, more at high G', () => {
    const s = isppSettings(info);
    assert.ok(acceptWindow(s, 40) < acceptWindow(s, 5));
    assert.ok(acceptWindow(s, 40) >= 0.25 && acceptWindow(s, 1) <= 1);
  });

  it('converges soft-bound cells of unknown slope with few pulses, within the ramp limits', () => {
    const targets = Float32Array.from({ length: 200 }, (_, k) => 1 + (39 * k) / 199);
    const state = new IsppState(isppSettings(info), targets);
    const cells = Array.from({ length: 200 }, (_, k) => softCell(25, 0.04 + (0.08 * (k % 5)) / 4));
    drive(state, cells);
    assert.ok(state.status.every((s) => s === CellStatus.Converged));
    cells.forEach((c, k) => assert.ok(Math.abs(c.g - targets[k]!) <= 1));
    const mean = state.pulses.reduce((a, b) => a + b, 0) / 200;
    assert.ok(mean < 6, `mean ${mean}`);
  });

  it('declares a cell that never moves stuck after stuckPulses, and the board refusing a pulse at once', () => {
    const state = new IsppState(isppSettings(info), Float32Array.from([20, 20]));
    drive(state, [softCell(1), softCell(1)], false);
    assert.equal(state.status[0], CellStatus.Stuck);
    assert.equal(state.pulses[0], 6);
    const refused = new IsppState(isppSettings(info), Float32Array.from([20]));
    refused.verify(0, 1, 0);
    assert.ok(refused.nextPulse(0));
    refused.applied(0, 0);
    assert.equal(refused.status[0], CellStatus.Stuck);
    refused.reopen(0);
    assert.equal(refused.status[0], CellStatus.Stuck, 'stuck stays stuck');
  });

  it('fails a cell at the pulse cap', () => {
    const state = new IsppState(
      isppSettings(info, { maxPulsesPerPolarity: 3, stuckPulses: 100 }),
      Float32Array.from([30]),
    );
    drive(state, [softCell(2, 0.001)]);
    assert.equal(state.status[0], CellStatus.Failed);
    assert.equal(state.pulses[0], 3);
  });

  it('pulseHistogram counts cells per pulse count, the last bin open-ended', () => {
    assert.deepEqual(pulseHistogram([0, 1, 1, 3, 9], 4), [1, 2, 0, 2]);
  });
});

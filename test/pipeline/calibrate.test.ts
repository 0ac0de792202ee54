import assert from 'node:assert/strict';
import { Rng } from '../../drivers/emulator/rng.ts';
import { ifcTransfer, fitIfcModel } from '../../src/inference/ifc-model.ts';
import { applyColumnCalibration, fitColumnCalibration } from '../../src/pipeline/calibrate.ts';

describe('fitColumnCalibration', () => {
  it('recovers per-column gain and offset through a saturating transfer', () => {
    const model = { countsPerMicroSPulse: 1, saturationCount: 1024, precisionBits: 8 };
    const r = new Rng(1);
    const cols = [3, 7, 200];
    const gain = [1.03, 0.97, 1.0];
    const offset = [4, -6, 0.5];
    const batch = 400;
    const expected = new Float64Array(batch * 3);
    const measured = new Uint8Array(batch * 3);
    for (let b = 0; b < batch; b++)
      for (let j = 0; j < 3; j++) {
        const q = 300 * r.uniform();
        expected[b * 3 + j] = q;
        const n = Math.floor(ifcTransfer(gain[j]! * q + offset[j]!, 1024));
        measured[b * 3 + j] = Math.min(255, n);
      }
    const cal = fitColumnCalibration({ cols, expected, measured }, { model });
    cols.forEach((c, j) => {
      assert.ok(Math.abs(cal.gain[c]! - gain[j]!) < 0.005, `gain ${cal.gain[c]}`);
      assert.ok(Math.abs(cal.offset[c]! - offset[j]!) < 0.5, `offset ${cal.offset[c]}`);
    });
    assert.equal(cal.gain[0], 1);
    assert.ok(cal.residualRms < 0.5, `residual ${cal.residualRms}`);
    const fixed = applyColumnCalibration(Float32Array.from([10, 10, 10]), cols, cal);
    assert.ok(Math.abs(fixed[0]! - (10 - 4) / 1.03) < 0.5);
  });

  it('fitIfcModel recovers k and nSat from transfer points', () => {
    const pts = Array.from({ length: 200 }, (_, i) => {
      const m = i * 10;
      return { microSPulses: m, count: Math.min(255, Math.floor(ifcTransfer(m * 0.2, 512))) };
    });
    const model = fitIfcModel(pts, 8);
    assert.ok(
      Math.abs(model.countsPerMicroSPulse / 0.2 - 1) < 0.01,
      `${model.countsPerMicroSPulse}`,
    );
    assert.ok(Math.abs(model.saturationCount / 512 - 1) < 0.05, `${model.saturationCount}`);
  });
});

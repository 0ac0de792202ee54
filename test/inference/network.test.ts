/**
 * Layer chaining on chip (the in-situ activation) on the MNIST placement of design.md §8, with
 * accuracy against labels: on the ideal chip, the chip's hidden pulses equal
 * clamp(n+ − n−, 0, 255) computed from the exact counts, and the network's predictions match a
 * host model of the same integer pipeline.
 */
import assert from 'node:assert/strict';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { countsPerMicroSPulse } from '../../drivers/emulator/energy.ts';
import { loadProfile } from '../../drivers/emulator/profile.ts';
import { openChip } from '../../drivers/factory.ts';
import { accuracy, argmax } from '../../src/inference/accuracy.ts';
import { deployLayer } from '../../src/inference/deploy-layer.ts';
import { encodeInputs } from '../../src/inference/encode.ts';
import { infer } from '../../src/inference/infer.ts';
import { mapWeights } from '../../src/programming/mapping.ts';
import { placeLayers } from '../../src/programming/placement.ts';
import { gaussianWeights, uniformActivations } from './fixtures.ts';

describe('two-layer network on chip (256 → 64 → 10)', () => {
  it('chains layer-1 counts into layer-2 pulses and scores accuracy against labels', async () => {
    const chip = await openChip({ emulator: true, profile: 'ideal', clock: 'virtual' });
    try {
      await firstValueFrom(chip.configure({ precisionBits: 8, readV: 0.05, vthV: 1 }));
      const placement = placeLayers([
        { name: 'fc1', inputs: 256, outputs: 64 },
        { name: 'fc2', inputs: 64, outputs: 10 },
      ]);
      const [l1, l2] = placement.layers as [
        (typeof placement.layers)[0],
        (typeof placement.layers)[0],
      ];
      const m1 = mapWeights(gaussianWeights(256 * 64, 31), 256, 64);
      const m2 = mapWeights(gaussianWeights(64 * 10, 32), 64, 10);
      await lastValueFrom(deployLayer(chip, l1, m1, { toleranceMicroS: 0 }));
      await lastValueFrom(deployLayer(chip, l2, m2, { toleranceMicroS: 0 }));
      const k = countsPerMicroSPulse(loadProfile('ideal'), 0.05, 1);
      const model = { countsPerMicroSPulse: k, saturationCount: Infinity, precisionBits: 8 };
      const batch = 100;
      const pulses = encodeInputs(uniformActivations(batch * 256, 33), 128, 8);
      const batches = [pulses.subarray(0, 50 * 256), pulses.subarray(50 * 256)];
      const outs = await lastValueFrom(
        infer(chip, [{ layer: l1 }, { layer: l2 }], batches, { model }).pipe(toArray()),
      );
      const scores = new Float32Array(batch * 10);
      outs.forEach((o) => scores.set(o.differential, o.index * 50 * 10));

      // Host model of the same integer pipeline (exact counts on the ideal chip).
      const counts = (x: Uint8Array, g: Float32Array, rows: number, cols: number) =>
        Float64Array.from({ length: cols }, (_, j) => {
          let s = 0;
          for (let i = 0; i < rows; i++) s += x[i]! * g[i * cols + j]!;
          return Math.floor(k * s);
        });
      const expected = new Float32Array(batch * 10);
      let boundary = 0;
      for (let b = 0; b < batch; b++) {
        const n1 = counts(pulses.subarray(b * 256, (b + 1) * 256), m1.targetsMicroS, 256, 128);
        const h = Uint8Array.from({ length: 64 }, (_, j) =>
          Math.max(0, Math.min(255, Math.min(255, n1[2 * j]!) - Math.min(255, n1[2 * j + 1]!))),
        );
        const n2 = counts(h, m2.targetsMicroS, 64, 20);
        for (let j = 0; j < 10; j++)
          expected[b * 10 + j] = Math.min(255, n2[2 * j]!) - Math.min(255, n2[2 * j + 1]!);
      }
      for (let i = 0; i < expected.length; i++)
        if (Math.abs(scores[i]! - expected[i]!) > 0) boundary++;
      assert.ok(boundary <= 3, `${boundary} outputs differ from the exact integer pipeline`);
      const labels = argmax(expected, 10);
      const acc = accuracy(scores, 10, labels);
      assert.ok(acc >= 0.97, `accuracy against the host's labels ${acc}`);
      assert.equal(placement.cellsUsed, 256 * 128 + 64 * 20);
    } finally {
      await chip.close();
    }
  });
});

import assert from 'node:assert/strict';
import { lastValueFrom } from 'rxjs';
import { isBenchError } from '../../drivers/driver.ts';
import { openChip } from '../../drivers/factory.ts';
import { firstValueFrom } from 'rxjs';
import { tiledMatmul } from '../../src/inference/tiled-matmul.ts';
import { placeLayers } from '../../src/programming/placement.ts';
import { tileMatrix } from '../../src/programming/tiling.ts';
import { countsPerMicroSPulse } from '../../drivers/emulator/energy.ts';
import { loadProfile } from '../../drivers/emulator/profile.ts';
import { gaussianWeights } from '../inference/fixtures.ts';
import { Rng } from '../../drivers/emulator/rng.ts';

describe('placeLayers', () => {
  it('fits the two-layer MNIST layout of design.md §8 and reports cells and the region map', () => {
    const p = placeLayers([
      { name: 'fc1', inputs: 256, outputs: 64 },
      { name: 'fc2', inputs: 64, outputs: 10 },
    ]);
    assert.deepEqual(p.layers[0]!.region, { row: 0, col: 0, rows: 256, cols: 128 });
    assert.deepEqual(p.layers[1]!.region, { row: 0, col: 128, rows: 64, cols: 20 });
    assert.equal(p.cellsUsed, 256 * 128 + 64 * 20);
    assert.deepEqual(p.regionMap, [
      'fc1: rows 0–255 × cols 0–127 (twin-column, 256×64 weights)',
      'fc2: rows 0–63 × cols 128–147 (twin-column, 64×10 weights)',
    ]);
  });

  it('refuses overlapping and out-of-array placements, naming the layers', () => {
    const bad = (specs: Parameters<typeof placeLayers>[0], re: RegExp) =>
      assert.throws(
        () => placeLayers(specs),
        (e: unknown) => isBenchError(e, 'INVALID_ARGUMENT') && re.test(e.message),
      );
    bad(
      [
        { name: 'a', inputs: 64, outputs: 16, row: 0, col: 0 },
        { name: 'b', inputs: 64, outputs: 16, row: 32, col: 16 },
      ],
      /layer b at rows 32–95 × cols 16–47 overlaps layer a/,
    );
    bad([{ name: 'a', inputs: 64, outputs: 16, row: 200, col: 0 }], /outside the 256×256 array/);
    bad([{ name: 'big', inputs: 300, outputs: 4 }], /tile it/);
    bad(
      [
        { name: 'a', inputs: 4, outputs: 4 },
        { name: 'a', inputs: 4, outputs: 4 },
      ],
      /placed twice/,
    );
  });
});

describe('tiling', () => {
  it('splits 300×500 into row and column tiles that each fit the array', () => {
    const tiles = tileMatrix(300, 500);
    assert.equal(tiles.length, 2 * 4);
    assert.deepEqual(
      tiles.map((t) => [t.inputStart, t.inputs, t.outputStart, t.outputs]).slice(0, 3),
      [
        [0, 256, 0, 128],
        [256, 44, 0, 128],
        [0, 256, 128, 128],
      ],
    );
    assert.equal(
      tiles.reduce((s, t) => s + t.inputs * t.outputs, 0),
      300 * 500,
    );
  });

  it('a 300×500 matrix runs tile by tile with digital partial sums, exact on the ideal chip', async () => {
    const chip = await openChip({ emulator: true, profile: 'ideal', clock: 'virtual' });
    try {
      await firstValueFrom(chip.configure({ precisionBits: 8, readV: 0.05, vthV: 1 }));
      const [inputs, outputs, batch] = [300, 500, 16];
      const w = gaussianWeights(inputs * outputs, 8);
      const r = new Rng(3);
      const x = Uint8Array.from({ length: batch * inputs }, () => Math.floor(r.uniform() * 64));
      const k = countsPerMicroSPulse(loadProfile('ideal'), 0.05, 1);
      // The ideal readout is linear with the emulator's k: decode with the exact model.
      const model = { countsPerMicroSPulse: k, saturationCount: Infinity, precisionBits: 8 };
      const res = await lastValueFrom(
        tiledMatmul(chip, w, inputs, outputs, x, { model, percentile: 100, toleranceMicroS: 0 }),
      );
      const oneCount = 1 / (k * res.scaleMicroSPerUnit);
      let worst = 0;
      for (let b = 0; b < batch; b++)
        for (let o = 0; o < outputs; o++) {
          let ref = 0;
          for (let i = 0; i < inputs; i++) ref += w[i * outputs + o]! * x[b * inputs + i]!;
          const y = res.differential[b * outputs + o]! / (k * res.scaleMicroSPerUnit);
          worst = Math.max(worst, Math.abs(y - ref) / oneCount);
        }
      // Two row tiles per output, each within one count of its exact partial sum.
      assert.ok(worst < 2, `worst error ${worst.toFixed(3)} counts`);
    } finally {
      await chip.close();
    }
  });
});

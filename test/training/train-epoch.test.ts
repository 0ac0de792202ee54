/**
 * Training on small MNIST subsets with the chip-modelled forward pass: the same seed gives the
 * same weights bit for bit (and another seed does not); group lasso zeroes whole crossbar rows
 * and columns where plain training zeroes none.
 */
import assert from 'node:assert/strict';
import { loadDataset, toPulses } from '../../src/dataset/dataset.ts';
import type { ChipModel } from '../../src/training/chip-model.ts';
import { initMlp } from '../../src/training/mlp.ts';
import { zeroLines } from '../../src/training/regularizers.ts';
import { trainEpoch, type TrainConfig, type TrainState } from '../../src/training/train-epoch.ts';

/** The default profile's readout at Vref 0.2 V, Vth 0.5 V, 8 bits (docs/physics.md §3). */
const chip: ChipModel = {
  ifc: { countsPerMicroSPulse: 1 / 256, saturationCount: 1024, precisionBits: 8 },
  gMinMicroS: 1,
  gMaxMicroS: 40,
  percentile: 95,
};
const sizes = [256, 64, 10];

async function train(extra: Partial<TrainConfig>, epochs: number, seed = 1): Promise<TrainState> {
  const d = loadDataset({ kind: 'mnist', test: 200, train: 600, seed: 3 });
  const data = { pulses: toPulses(d.train.x, 8), labels: d.train.labels };
  let state: TrainState = { weights: initMlp(sizes, seed).weights };
  for (let e = 0; e < epochs; e++)
    state = (await trainEpoch({ chip, sizes, seed, batch: 64, ...extra }, data, state, e)).state;
  return state;
}

const same = (a: Float32Array[], b: Float32Array[]) =>
  a.every((w, l) => Buffer.from(w.buffer).equals(Buffer.from(b[l]!.buffer)));

describe('closed-loop training (small MNIST subset)', function () {
  this.timeout(120_000);

  it('the same seed reproduces the weights bit for bit; another seed does not', async () => {
    const a = await train({}, 2, 1);
    const b = await train({}, 2, 1);
    const c = await train({}, 2, 2);
    assert.ok(same(a.weights, b.weights), 'seed 1 twice gives different weights');
    assert.ok(same(a.adam!.m, b.adam!.m), 'seed 1 twice gives different optimiser moments');
    assert.ok(!same(a.weights, c.weights), 'seeds 1 and 2 give the same weights');
  });

  it('resuming from an epoch checkpoint gives the same final weights as running through', async () => {
    const d = loadDataset({ kind: 'mnist', test: 200, train: 600, seed: 3 });
    const data = { pulses: toPulses(d.train.x, 8), labels: d.train.labels };
    const config: TrainConfig = { chip, sizes, seed: 5, batch: 64, halfLifeEpochs: 2 };
    const s0: TrainState = { weights: initMlp(sizes, 5).weights };
    const s1 = (await trainEpoch(config, data, s0, 0)).state;
    const through = (await trainEpoch(config, data, s1, 1)).state;
    // A resumed process sees only the stored copy of the checkpoint.
    const copy = structuredClone(s1);
    const resumed = (await trainEpoch(config, data, copy, 1)).state;
    assert.ok(same(through.weights, resumed.weights), 'resumed weights differ');
  });

  it('group lasso zeroes whole rows and columns; plain training zeroes none', async () => {
    const plain = await train({ learningRate: 0.01 }, 3);
    const lasso = await train({ learningRate: 0.01, groupLasso: 2, pruneMicroS: 1 }, 3);
    const z = (s: TrainState) =>
      sizes.slice(1).map((m, l) => zeroLines(s.weights[l]!, sizes[l]!, m));
    const p = z(plain);
    const q = z(lasso);
    assert.equal(p[0]!.rows + p[0]!.cols + p[1]!.rows, 0, 'plain training zeroed lines');
    // Rows of pixels that are always 0 in the subset get no loss gradient: the shrink frees them.
    assert.ok(q[0]!.rows >= 10, `fc1: ${q[0]!.rows} of 256 rows zeroed`);
    // Every freed line is exactly zero, not merely small.
    const w = lasso.weights[0]!;
    const freed = Array.from({ length: 256 }, (_, i) => i).filter((i) =>
      w.subarray(i * 64, (i + 1) * 64).every((v) => v === 0),
    );
    assert.equal(freed.length, q[0]!.rows);
  });
});

/**
 * A model trained elsewhere deploys through a campaign: layer weights as `.npy` files
 * (inputs × outputs, as `np.save` writes them from PyTorch) in `deploy: { model: [...] }`, then
 * `evaluate` measures it on the chip. The weights here come from a short in-process training
 * (host accuracy ≥ 80% on the subset); on the default emulated chip the deployed model keeps
 * most of it (≥ 70% on 500 test digits: the naive drop on the full set is 3.6 pp).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatNpy } from '../../src/campaign/npy.ts';
import { loadDataset, toPulses } from '../../src/dataset/dataset.ts';
import { initMlp } from '../../src/training/mlp.ts';
import { trainEpoch, type TrainState } from '../../src/training/train-epoch.ts';
import { spawnCli } from '../campaign/run-db.ts';

describe('deploy a model from .npy files (e.g. PyTorch)', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'rram-npy-model-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs deploy { model: [fc1.npy, fc2.npy] } and evaluates it on the chip', async () => {
    const sizes = [256, 64, 10];
    const chip = {
      ifc: { countsPerMicroSPulse: 1 / 256, saturationCount: 1024, precisionBits: 8 },
      gMinMicroS: 1,
      gMaxMicroS: 40,
      percentile: 95,
    };
    const d = loadDataset({ kind: 'mnist', test: 500, train: 1500, seed: 1 });
    const data = { pulses: toPulses(d.train.x, 8), labels: d.train.labels };
    let state: TrainState = { weights: initMlp(sizes, 4).weights };
    for (let e = 0; e < 3; e++)
      state = (await trainEpoch({ chip, sizes, seed: 4, learningRate: 0.005 }, data, state, e))
        .state;
    writeFileSync(join(dir, 'fc1.npy'), formatNpy(state.weights[0]!, [256, 64]));
    writeFileSync(join(dir, 'fc2.npy'), formatNpy(state.weights[1]!, [64, 10]));
    writeFileSync(
      join(dir, 'imported.yaml'),
      `name: imported-model
steps:
  - kind: configure
    precisionBits: 8
    readV: 0.2
    vthV: 0.5
  - kind: form
    region: { row: 0, col: 192, rows: 32, cols: 32 }
  - kind: characterize
    region: { row: 0, col: 192, rows: 32, cols: 32 }
    reads: 2
    average: 1
    relaxationTimes: [1]
    stuck: false
  - kind: deploy
    stage: imported
    model: [fc1.npy, fc2.npy]
  - kind: evaluate
    stage: imported
    dataset: { kind: mnist, test: 500, train: 1500, seed: 1 }
`,
    );
    const r = await spawnCli([
      'run',
      join(dir, 'imported.yaml'),
      '--emulator',
      '--time',
      'virtual',
      '--json',
      '--db',
      join(dir, 'm.db'),
    ]).exited;
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      accuracy: Record<string, number>;
    };
    const acc = result.accuracy.imported!;
    assert.ok(acc >= 0.7, `imported model on chip: ${acc}`);
  });
});

/**
 * The closed loop's data: 2×2 area downsampling keeps each image's total intensity (the
 * average of 4 pixels over a quarter of the area); the MNIST split is 8,000 / 2,000, disjoint,
 * stratified (each class within one sample of its proportional share) and seeded.
 */
import assert from 'node:assert/strict';
import { downsample2x2 } from '../../src/dataset/downsample.ts';
import { loadMnist } from '../../src/dataset/mnist.ts';
import { stratifiedSplit } from '../../src/dataset/split.ts';

describe('MNIST dataset', function () {
  this.timeout(60_000);

  it('downsamples 28×28 to 16×16 keeping each image’s total intensity / 4', () => {
    const m = loadMnist();
    assert.equal(m.labels.length, 10_000);
    const d = downsample2x2(m);
    assert.equal(d.x.length, 10_000 * 256);
    for (const s of [0, 1234, 9999]) {
      const a = m.x.subarray(s * 784, (s + 1) * 784).reduce((x, y) => x + y, 0);
      const b = d.x.subarray(s * 256, (s + 1) * 256).reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(b - a / 4) < 1e-3, `sample ${s}: ${b} vs ${a / 4}`);
    }
  });

  it('splits 8,000 / 2,000, disjoint, stratified and seeded', () => {
    const { labels } = loadMnist();
    const a = stratifiedSplit(labels, 2000, 1);
    assert.equal(a.train.length, 8000);
    assert.equal(a.test.length, 2000);
    const seen = new Set([...a.train, ...a.test]);
    assert.equal(seen.size, 10_000, 'the parts overlap');
    for (let c = 0; c < 10; c++) {
      const all = labels.filter((l) => l === c).length;
      const test = Array.from(a.test).filter((i) => labels[i] === c).length;
      assert.ok(Math.abs(test - (all * 2000) / 10_000) < 1, `class ${c}: ${test} of ${all}`);
    }
    const b = stratifiedSplit(labels, 2000, 1);
    const c = stratifiedSplit(labels, 2000, 2);
    assert.deepEqual(b.test, a.test);
    assert.notDeepEqual(c.test, a.test);
  });
});

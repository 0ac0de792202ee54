import assert from 'node:assert/strict';
import fc from 'fast-check';
import { paretoFront } from '../../src/report/pareto-front.ts';
import type { Objective } from '../../src/report/pareto-front.ts';

interface P {
  acc: number;
  energy: number;
}
const objectives: Objective<P>[] = [
  { value: (p) => p.acc, sense: 'max' },
  { value: (p) => p.energy, sense: 'min' },
];
const pt = (acc: number, energy: number): P => ({ acc, energy });

describe('paretoFront', () => {
  it('keeps the trade-off points and drops the dominated ones', () => {
    const points = [pt(0.9, 10), pt(0.8, 5), pt(0.7, 6), pt(0.95, 20), pt(0.85, 12), pt(0.5, 1)];
    // (0.7, 6) is dominated by (0.8, 5); (0.85, 12) by (0.9, 10).
    assert.deepEqual(paretoFront(points, objectives), [0, 1, 3, 5]);
  });

  it('keeps both copies of a duplicated front point and drops duplicated dominated points', () => {
    const points = [pt(0.9, 10), pt(0.9, 10), pt(0.6, 12), pt(0.6, 12)];
    assert.deepEqual(paretoFront(points, objectives), [0, 1]);
  });

  it('a tie in one objective is decided by the other', () => {
    // Same accuracy, less energy wins; same energy, more accuracy wins.
    assert.deepEqual(paretoFront([pt(0.9, 10), pt(0.9, 8)], objectives), [1]);
    assert.deepEqual(paretoFront([pt(0.8, 8), pt(0.9, 8)], objectives), [1]);
  });

  it('honours the sense of each objective', () => {
    const points = [pt(0.9, 10), pt(0.8, 5)];
    const flipped: Objective<P>[] = [
      { value: (p) => p.acc, sense: 'min' },
      { value: (p) => p.energy, sense: 'max' },
    ];
    assert.deepEqual(paretoFront(points, flipped), [0, 1]);
    assert.deepEqual(paretoFront([pt(0.9, 10), pt(0.8, 10)], flipped), [1]);
  });

  it('never puts a point with a non-finite value on the front, and such a point dominates nothing', () => {
    const points = [pt(Number.NaN, 0), pt(0.5, 5), pt(Infinity, 1)];
    assert.deepEqual(paretoFront(points, objectives), [1]);
  });

  it('handles empty input and rejects no objectives', () => {
    assert.deepEqual(paretoFront([], objectives), []);
    assert.throws(() => paretoFront([pt(1, 1)], []), RangeError);
  });

  it('agrees with the definition on random sets (with many ties)', () => {
    const small = fc.integer({ min: 0, max: 4 });
    fc.assert(
      fc.property(fc.array(fc.tuple(small, small, small), { maxLength: 25 }), (raw) => {
        const points = raw.map(([a, e, l]) => ({ acc: a, energy: e, latency: l }));
        const obj: Objective<(typeof points)[number]>[] = [
          { value: (p) => p.acc, sense: 'max' },
          { value: (p) => p.energy, sense: 'min' },
          { value: (p) => p.latency, sense: 'min' },
        ];
        const front = new Set(paretoFront(points, obj));
        points.forEach((p, i) => {
          const dominated = points.some(
            (q) =>
              q.acc >= p.acc &&
              q.energy <= p.energy &&
              q.latency <= p.latency &&
              (q.acc > p.acc || q.energy < p.energy || q.latency < p.latency),
          );
          assert.equal(front.has(i), !dominated, `point ${i} ${JSON.stringify(p)}`);
        });
      }),
    );
  });
});

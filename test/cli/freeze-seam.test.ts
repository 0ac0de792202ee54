import assert from 'node:assert/strict';
import { freezeSeam } from '../../src/cli/freeze-seam.ts';

describe('crash-test freeze seam', () => {
  it('does nothing unless RRAM_BENCH_FREEZE_AFTER_UNITS is a positive integer', () => {
    for (const env of [
      {},
      { RRAM_BENCH_FREEZE_AFTER_UNITS: '0' },
      { RRAM_BENCH_FREEZE_AFTER_UNITS: 'x' },
    ]) {
      const f = freezeSeam(env);
      for (let i = 0; i < 5; i++) f('[1/2] program: 1/8 committed'); // would block if armed
    }
  });

  it('only counts committed-unit lines (an armed seam would block this test until its timeout)', () => {
    const f = freezeSeam({ RRAM_BENCH_FREEZE_AFTER_UNITS: '1' });
    let returned = 0;
    for (const line of ['run 1234: demo', '[1/2] identify  model x', '[2/2] read-map  done'])
      returned += f(line) === undefined ? 1 : 0;
    assert.equal(returned, 3);
  });
});

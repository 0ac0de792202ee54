import assert from 'node:assert/strict';
import type { BenchErrorCode } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import { ExitCode, exitCodeFor } from '../../src/cli/exit-codes.ts';
import { reportError } from '../../src/cli/report-error.ts';

describe('exit codes', () => {
  const expected: Record<BenchErrorCode, number> = {
    USAGE: 2,
    INVALID_ARGUMENT: 2,
    PROFILE_INVALID: 2,
    STATE_INVALID: 2,
    TIMEOUT: 3,
    DISCONNECTED: 3,
    PROTOCOL: 3,
    DEVICE: 3,
    IO: 3,
    CLOSED: 3,
    UNSUPPORTED: 3,
    LIMIT: 4,
    ABORTED: 130,
  };
  for (const [code, exit] of Object.entries(expected) as [BenchErrorCode, number][]) {
    it(`${code} → ${exit}`, () => assert.equal(exitCodeFor(code), exit));
  }

  it('a BenchError prints one line naming its code', () => {
    let err = '';
    const exit = reportError(new BenchError('LIMIT', 'SET amplitude 5 V above 4 V'), {
      write: (s: string) => (err += s),
    });
    assert.equal(exit, ExitCode.LIMIT);
    assert.equal(err, 'rram-bench: error [LIMIT]: SET amplitude 5 V above 4 V\n');
  });

  it('anything else is an unexpected failure (exit 1) with its stack', () => {
    let err = '';
    const exit = reportError(new TypeError('boom'), { write: (s: string) => (err += s) });
    assert.equal(exit, ExitCode.FAILURE);
    assert.match(err, /^rram-bench: error \[UNEXPECTED\]: boom\n.*TypeError/s);
  });
});

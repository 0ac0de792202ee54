/**
 * Bug 7 of issue 11: `npm run bench` printed "rram-bench: interrupted: stopping…" during
 * link.pty_mvm_per_s. The benchmark stops its `rram-bench emulate --pty` child with SIGINT (a
 * Ctrl-C, so that the child idles the chip and stops socat), and the child's stderr was
 * inherited: its own interrupt message landed in the bench output. It is now captured.
 */
import assert from 'node:assert/strict';
import { startBoardProcess } from '../../../drivers/serial/transport/board-process.ts';
import { needsSocat } from '../../needs-socat.ts';

describe('a board in a child process', function () {
  this.timeout(60_000);

  it("stopping it (SIGINT) keeps the child's interrupt message out of our stderr", async function () {
    needsSocat(this);
    const board = await startBoardProcess(['--time', 'virtual']);
    assert.match(board.path, /\/tty$/);
    const { code, stderr } = await board.stop();
    assert.equal(code, 0, stderr);
    // Captured here, so it did not reach the terminal of the process that started it.
    assert.match(stderr, /rram-bench: interrupted/);
    assert.match(stderr, /board stopped: /);
  });
});

/**
 * The port lock (issue 11): while a run holds a port, another program that opens it without
 * flock (a Python script, `cat`) is refused by the OS — the tty is in exclusive mode (TIOCEXCL)
 * — and rram-bench, refused a port, names who holds it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, realpathSync } from 'node:fs';
import { isBenchError } from '../../../drivers/driver.ts';
import { EmulatorDriver } from '../../../drivers/emulator/emulator-driver.ts';
import { SerialDriver } from '../../../drivers/serial/host/serial-driver.ts';
import { startPty } from '../../../drivers/serial/transport/transports.ts';
import { needsSocat } from '../../needs-socat.ts';

/** Open `path` read-write from a shell as an ordinary user (root passes TIOCEXCL). */
function otherProgramOpens(path: string): { ok: boolean; stderr: string } {
  const asUser =
    process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
  const r = spawnSync(
    asUser[0] ?? 'sh',
    [...asUser.slice(1), ...(asUser.length ? ['sh'] : []), '-c', 'exec 3<>"$1"', 'sh', path],
    {
      encoding: 'utf8',
    },
  );
  return { ok: r.status === 0, stderr: r.stderr };
}

describe('port lock', function () {
  this.timeout(60_000);

  it('another program cannot open a port a driver holds; a second driver is told who holds it', async function () {
    needsSocat(this);
    if (process.platform !== 'linux') this.skip();
    if (spawnSync('python3', ['-c', 'import termios; termios.TIOCEXCL']).status !== 0) {
      if (this.test) this.test.title += ' — pending: python3 with termios.TIOCEXCL is needed';
      this.skip();
    }
    const chip = await EmulatorDriver.create({ seed: 1, clock: 'virtual' });
    const pty = await startPty(chip);
    const tty = realpathSync(pty.path);
    chmodSync(tty, 0o666); // so that the ordinary user of the check may open it at all
    try {
      assert.ok(otherProgramOpens(tty).ok, 'before: anyone may open the port');
      const driver = await SerialDriver.open({ path: pty.path });
      try {
        const other = otherProgramOpens(tty);
        assert.equal(other.ok, false, 'while held: refused by the OS');
        assert.match(other.stderr, /busy/i);
        const second = await SerialDriver.open({ path: pty.path }).then(
          async (d) => {
            await d.close();
            return undefined;
          },
          (e: unknown) => e,
        );
        assert.ok(isBenchError(second, 'IO'), String(second));
        assert.match(second.message, new RegExp(`in use by .*pid ${process.pid} `));
      } finally {
        await driver.close();
      }
      assert.ok(otherProgramOpens(tty).ok, 'after close: free again');
    } finally {
      await pty.close();
      await chip.close();
    }
  });
});

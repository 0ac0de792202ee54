import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { EmulatorDriver } from '../../drivers/emulator/emulator-driver.ts';
import { findSocat } from '../../drivers/serial/transport/transports.ts';
import { omitsCrcs, tamperedBoard } from '../drivers/serial/tampered-board.ts';
import { runCli } from './run-cli.ts';
import { needsSocat } from '../needs-socat.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A pty pair made by socat: `host` is the path the CLI opens, `board` the end a test serves. */
async function ptyPair(): Promise<{ host: string; board: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'rram-bench-conf-'));
  const host = join(dir, 'tty');
  const board = join(dir, 'board');
  const child: ChildProcess = spawn(
    findSocat()!,
    ['-d', '-d', `pty,raw,echo=0,link=${board}`, `pty,raw,echo=0,link=${host}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  cleanups.push(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('starting data transfer loop')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`socat exited with ${code}: ${log}`)));
  });
  return { host, board };
}

async function openBoardEnd(path: string): Promise<SerialPort> {
  const port = await new Promise<SerialPort>((resolve, reject) => {
    const p: SerialPort = new SerialPort({ path, baudRate: 921600 }, (e) =>
      e ? reject(e) : resolve(p),
    );
  });
  cleanups.push(
    () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  );
  return port;
}

describe('rram-bench conformance', () => {
  it('exits 3 with IO naming the path when the port does not exist', async () => {
    const r = await runCli('conformance', '--port', '/dev/nonexistent');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /error \[IO\]: .*\/dev\/nonexistent/);
  });

  it('exits 2 without --port or --emulator, or with both', async () => {
    assert.equal((await runCli('conformance')).code, 2);
    assert.equal((await runCli('conformance', '--emulator', '--port', '/dev/x')).code, 2);
  });

  describe('over pseudo-terminals (needs socat)', () => {
    before(function () {
      needsSocat(this);
    });

    it('--emulator: the reference firmware passes, one line per check, exit 0', async function () {
      this.timeout(60000);
      const r = await runCli('conformance', '--emulator');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /^PASS §5\.4 a retried PULSE \(the identical line\) is answered from the cache, applied once$/m,
      );
      assert.match(r.stdout, /^PASS §2\.4 every board line carries a valid CRC/m);
      assert.match(r.stdout, /\d+ checks on .*: \d+ passed, 0 failed, \d+ skipped/);
      assert.doesNotMatch(r.stdout, /^FAIL/m);
      assert.match(r.stderr, /reference firmware \(emulated vlsi19-hfo2-256\) on /);
    });

    it('--json --only: one JSON object with the selected checks', async function () {
      this.timeout(60000);
      const r = await runCli(
        'conformance',
        '--emulator',
        '--json',
        '--only',
        '5.4',
        '--only',
        '§7',
      );
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as {
        failed: number;
        results: { clause: string; status: string; changesState: boolean }[];
      };
      assert.deepEqual(
        report.results.map((x) => x.clause),
        ['§7', '§5.4', '§5.4'],
      );
      assert.equal(report.failed, 0);
      assert.equal(report.results[1]!.changesState, true);
    });

    it('exits 1 and names the clause against a board that omits CRCs', async function () {
      this.timeout(60000);
      const { host, board } = await ptyPair();
      const chip = await EmulatorDriver.create({ seed: 1, clock: 'virtual' });
      cleanups.push(() => chip.close());
      const tampered = tamperedBoard(chip, omitsCrcs(), await openBoardEnd(board));
      cleanups.push(() => tampered.firmware.close());
      const r = await runCli('conformance', '--port', host, '--only', '2');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /^FAIL §2\.4 every board line carries a valid CRC-16\/CCITT-FALSE\n {7}\d+ of \d+ lines have a missing or wrong CRC/m,
      );
      assert.match(r.stdout, /NOT CONFORMING/);
    });

    it('exits 3 with TIMEOUT naming the port when the board never answers', async function () {
      this.timeout(30000);
      const { host } = await ptyPair(); // nobody serves the other end
      const r = await runCli('conformance', '--port', host, '--timeout', '200');
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `error \\[TIMEOUT\\]: no answer from ${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
        ),
      );
    });
  });
});

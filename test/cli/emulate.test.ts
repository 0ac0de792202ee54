import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listPortsFromSysfs } from '../../drivers/serial/transport/list-ports.ts';
import { repoRoot, runCli } from './run-cli.ts';
import { needsSocat } from '../needs-socat.ts';

describe('rram-bench emulate', () => {
  it('serves the emulated board on a pty that another process opens by path; Ctrl-C stops it', async function () {
    needsSocat(this);
    const child = spawn(
      process.execPath,
      ['bin/rram-bench.js', 'emulate', '--pty', '--time', 'virtual', '--seed', '9'],
      {
        cwd: repoRoot,
      },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const path = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = / on (\S+)\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`emulate exited early: ${err}`)));
    });
    try {
      assert.match(out, /serving vlsi19-hfo2-256 EMU-00000009 \(emulated, protocol 1\)/);
      const info = await runCli('chip', 'info', '--port', path, '--json');
      assert.equal(info.code, 0, info.stderr);
      const parsed = JSON.parse(info.stdout) as { serial: string; emulated: boolean };
      assert.equal(parsed.serial, 'EMU-00000009');
      assert.equal(parsed.emulated, true);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, err);
    assert.match(err, /board stopped: \{"rxBytes":\d+/);
  });

  it('needs exactly one transport, and faults only on --pty (exit 2)', async () => {
    for (const args of [
      [],
      ['--pty', '--stdio'],
      ['--stdio', '--fault-drop', '0.1'],
      ['--pty', '--fault-drop', '2'],
    ]) {
      const r = await runCli('emulate', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /error \[USAGE\]/);
    }
  });
});

describe('rram-bench ports', () => {
  it('prints one JSON array', async () => {
    const r = await runCli('ports', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Array.isArray(JSON.parse(r.stdout)));
  });

  it('reads USB identity from sysfs when udevadm is missing', () => {
    // A fake sysfs: ttyUSB0 behind a USB device with ids and a serial number; tty1 has no device.
    const root = mkdtempSync(join(tmpdir(), 'rram-sysfs-'));
    try {
      const usb = join(root, 'devices', 'usb1', '1-1');
      const iface = join(usb, '1-1:1.0', 'ttyUSB0');
      mkdirSync(iface, { recursive: true });
      for (const [k, v] of Object.entries({
        idVendor: '0403',
        idProduct: '6001',
        serial: 'RB-0042',
        manufacturer: 'FTDI',
      }))
        writeFileSync(join(usb, k), `${v}\n`);
      const cls = join(root, 'class', 'tty');
      mkdirSync(join(cls, 'ttyUSB0'), { recursive: true });
      mkdirSync(join(cls, 'tty1'), { recursive: true });
      // device -> the interface directory, as in /sys/class/tty/ttyUSB0/device
      symlinkSync(iface, join(cls, 'ttyUSB0', 'device'));
      assert.deepEqual(listPortsFromSysfs(cls), [
        {
          path: '/dev/ttyUSB0',
          manufacturer: 'FTDI',
          serialNumber: 'RB-0042',
          vendorId: '0403',
          productId: '6001',
          source: 'sysfs',
        },
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

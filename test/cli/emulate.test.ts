import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listPorts, listPortsFromSysfs } from '../../drivers/serial/transport/list-ports.ts';
import { withCrc } from '../../drivers/serial/wire/codec.ts';
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

  it('--stdio answers every line received before stdin ended; --pulse-log logs each pulse applied once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rram-pulse-log-'));
    try {
      const log = join(dir, 'pulses.jsonl');
      const child = spawn(
        process.execPath,
        ['bin/rram-bench.js', 'emulate', '--stdio', '--time', 'virtual', '--pulse-log', log],
        { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
      const pulse = withCrc('5 PULSE 3 7 SET 1.8 1e-6 2.4 2');
      // The three lines, a forming of the cell, then one pulse sent twice: the copy
      // arrives while the first runs and is ignored (§5.8), so it is answered and applied once.
      child.stdin.end(
        `*IDN?\nREAD 3 7 1 1 1\nBOGUS\nFORM 3 7 1 1 2 5 0.1 1.2 1e-5\n${pulse}\n${pulse}\n`,
      );
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 0);
      const bodies = out
        .split('\r\n')
        .filter((l) => l !== '' && !l.startsWith('!'))
        .map((l) => l.replace(/\*[0-9A-F]{4}$/, ''));
      assert.equal(bodies.length, 5, bodies.join(' | '));
      assert.match(bodies[0]!, /^- OK RRAM-BENCH,/);
      assert.match(bodies[1]!, /^- OK 0 \S+$/);
      assert.equal(bodies[2], '- ERR 110 no such verb: BOGUS');
      assert.match(bodies[3]!, /^- OK \S+ \S+ \S+$/);
      assert.equal(bodies[4], '5 OK 2');
      const entries = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(
        entries.map((e) => e.verb),
        ['FORM', 'PULSE'],
        'the forming and the pulse, each once',
      );
      const p = entries[1]!;
      assert.deepEqual([p.seq, p.cells, p.cellPulses, p.pulses], [5, [3 * 256 + 7], [2], 2]);
      assert.equal(p.line, pulse);
      assert.ok((p.chipTimeS as number) > (entries[0]!.chipTimeS as number), 'chip time advances');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
  it('prints one JSON array: the ports of this machine, each with its path and source', async () => {
    const r = await runCli('ports', '--json');
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { path: unknown; source: unknown }[];
    assert.ok(Array.isArray(got));
    // The same list the library gives in this process (JSON drops the undefined fields).
    assert.deepEqual(got, JSON.parse(JSON.stringify(await listPorts())) as unknown);
    for (const p of got) {
      assert.match(String(p.path), /^\/dev\/\S+$/, `a port path: ${JSON.stringify(p)}`);
      assert.ok(
        p.source === 'serialport' || p.source === 'sysfs',
        `a source: ${JSON.stringify(p)}`,
      );
    }
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

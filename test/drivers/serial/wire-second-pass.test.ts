/**
 * Issue 11 at the board: replies in seq order around ABORT (bug 4), the held-request overflow
 * counted in `LINK? bad=` (bug 5), end of input answered before the board stops (bug 6), verbs
 * case-insensitive, and the verbs that keep results independent of the link: `WAIT` (the
 * host's waits reach the board's clock), `SNAP`/`FETCH` (a region read at one chip time) and
 * `STAGE`/`MVMS`/`TAKE` (an MVM run as one chip operation however its lines are split).
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { firstValueFrom } from 'rxjs';
import { EmulatorDriver } from '../../../drivers/emulator/emulator-driver.ts';
import { serveFirmware, type Firmware } from '../../../drivers/serial/board/firmware.ts';
import { duplexPair } from '../../../drivers/serial/transport/duplex-pair.ts';
import { serveStdio } from '../../../drivers/serial/transport/serve-stdio.ts';
import { decodeF32, fromBase64, toBase64 } from '../../../drivers/serial/wire/codec.ts';
import { HostEnd, req } from './exchange.ts';

const CTL = 40000;
const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

async function bench(): Promise<{ chip: EmulatorDriver; fw: Firmware; host: HostEnd }> {
  const chip = await EmulatorDriver.create({ seed: 1, clock: 'virtual' });
  const [h, b] = duplexPair();
  const host = new HostEnd(h);
  const fw = serveFirmware(b, chip, { bootId: 'B007AB1E' });
  open.push(async () => {
    await fw.close();
    await chip.close();
    h.destroy();
  });
  assert.match(await host.nextBody(), /^! BOOT/);
  host.send(req(CTL, 'SESS', 'A1B2C3D4', 1));
  assert.equal(await host.nextBody(), `${CTL} OK B007AB1E 1`);
  return { chip, fw, host };
}

const seqOf = (body: string) => Number(body.split(' ')[0]);

describe('board, second pass (issue 11)', () => {
  it('bug 4: FORM, READ and ABORT in quick succession are answered n, n+1, n+2', async () => {
    const { host } = await bench();
    host.send(req(1, 'FORM', 0, 0, 4, 256, 2, 5, 0.1, 1.2, 1e-5));
    host.send(req(2, 'READ', 3, 7, 1, 1, 1));
    host.send(req(3, 'ABORT'));
    const bodies = [await host.nextBody(), await host.nextBody(), await host.nextBody()];
    assert.deepEqual(bodies.map(seqOf), [1, 2, 3], bodies.join(' | '));
    // Whether FORM finished or was stopped, the READ was answered before the ABORT.
    assert.match(bodies[1]!, /^2 (OK|ERR 300) /);
    assert.equal(bodies[2], '3 OK');
  });

  it('bug 5: the 9th request held ahead of a gap is dropped and counted in LINK? bad=', async () => {
    const { fw, host } = await bench();
    for (let s = 2; s <= 10; s++) host.send(req(s, 'CONF?'));
    host.send(req(CTL + 1, 'LINK?'));
    assert.equal(await host.nextBody(), `${CTL + 1} OK rx=11 bad=1 crc=0 long=0 cached=0 over=1`);
    assert.equal(fw.counters.holdOverflow, 1);
  });

  it('bug 6: end of input answers every line received before the board stops', async () => {
    const chip = await EmulatorDriver.create({ seed: 1, clock: 'virtual' });
    const input = new PassThrough();
    const output = new PassThrough();
    let out = '';
    output.on('data', (b: Buffer) => (out += b.toString('latin1')));
    const server = serveStdio(chip, { bootId: 'B007AB1E' }, input, output);
    input.end('*IDN?\nREAD 3 7 1 1 1\nBOGUS\n');
    await server.done;
    await server.close();
    await chip.close();
    const lines = out.split('\r\n').filter((l) => l !== '');
    assert.equal(lines.length, 4, lines.join(' | '));
    assert.match(lines[1]!, /^- OK RRAM-BENCH,/);
    assert.match(lines[2]!, /^- OK 0 [A-Za-z0-9+/=]+\*/);
    assert.match(lines[3]!, /^- ERR 110 no such verb: BOGUS\*/);
    assert.equal(server.firmware.counters.executed, 2);
  });

  it('a query given the next consecutive seq does not stall the requests after it (§5.1)', async () => {
    const { host } = await bench();
    host.send(req(1, 'SYST:ERR?'));
    assert.equal(await host.nextBody(), '1 OK 0,"No error"');
    host.send(req(2, 'CONF?'));
    assert.match(await host.nextBody(), /^2 OK bits=8 /);
  });

  it('verbs are case-insensitive: *idn? typed at a terminal is answered', async () => {
    const { host } = await bench();
    host.send('*idn?');
    assert.match(await host.nextBody(), /^- OK RRAM-BENCH,/);
    host.send('conf?');
    assert.match(await host.nextBody(), /^- OK bits=8 /);
  });

  it('WAIT advances the board chip time by exactly the wait; READ then reports it', async () => {
    const { host } = await bench();
    host.send(req(1, 'READ', 0, 0, 1, 1, 1));
    const t0 = Number((await host.nextBody()).split(' ')[2]);
    host.send(req(2, 'WAIT', 2.5));
    const after = Number((await host.nextBody()).split(' ')[2]);
    assert.equal(after, t0 + 1e-6 + 2.5);
    host.send(req(3, 'WAIT', -1));
    assert.match(await host.nextBody(), /^3 ERR 201 /);
  });

  it('SNAP reads a region at one chip time; FETCH returns its cells in any pieces', async () => {
    const { chip, host } = await bench();
    const twin = await EmulatorDriver.create({ seed: 1, clock: 'virtual' });
    open.push(() => twin.close());
    const want = await firstValueFrom(
      twin.read({ region: { row: 0, col: 0, rows: 4, cols: 256 }, average: 2 }),
    );
    host.send(req(1, 'SNAP', 9, 0, 0, 4, 256, 2));
    assert.equal(await host.nextBody(), `1 OK ${want.timeS} 1024`);
    const got = new Float32Array(1024);
    let seq = 2;
    for (const [offset, count] of [
      [0, 100],
      [100, 900],
      [1000, 24],
    ] as const) {
      host.send(req(seq, 'FETCH', 9, offset, count));
      const body = await host.nextBody();
      got.set(decodeF32(body.split(' ')[2]!, count)!, offset);
      seq++;
    }
    assert.deepEqual(got, want.microS);
    host.send(req(seq, 'FETCH', 9, 1000, 25));
    assert.match(await host.nextBody(), new RegExp(`^${seq} ERR 201 `));
    void chip;
  });

  it('STAGE, MVMS and TAKE run an MVM as one chip operation, equal to the in-process one', async () => {
    const { host } = await bench();
    const twin = await EmulatorDriver.create({ seed: 1, clock: 'virtual' });
    open.push(() => twin.close());
    const rows = Array.from({ length: 16 }, (_, i) => i);
    const inputs = Uint8Array.from({ length: 10 * 16 }, (_, i) => (i * 37) & 255);
    const want = await firstValueFrom(twin.mvm({ rows, cols: rows, inputs }));
    host.send(req(1, 'STAGE', 4, 0, toBase64(inputs.subarray(0, 99))));
    host.send(req(2, 'STAGE', 4, 99, toBase64(inputs.subarray(99))));
    host.send(req(3, 'MVMS', 4, '0-15', '0-15', 10));
    assert.equal(await host.nextBody(), '1 OK');
    assert.equal(await host.nextBody(), '2 OK');
    assert.equal(await host.nextBody(), `3 OK 10 ${want.energyJ} ${want.latencyS} 160`);
    host.send(req(4, 'TAKE', 4, 0, 60));
    host.send(req(5, 'TAKE', 4, 60, 100));
    const a = fromBase64((await host.nextBody()).split(' ')[2]!)!;
    const b = fromBase64((await host.nextBody()).split(' ')[2]!)!;
    assert.deepEqual(Uint8Array.from([...a, ...b]), want.values);
  });
});

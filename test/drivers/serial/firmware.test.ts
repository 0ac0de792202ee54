import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { EmulatorDriver } from '../../../drivers/emulator/emulator-driver.ts';
import { Rng } from '../../../drivers/emulator/rng.ts';
import {
  MAX_LINE_BYTES,
  decodeF32,
  decodeFlags,
  decodeU16,
  encodeF32,
  fromBase64,
  packBits,
  toBase64,
  unpackBits,
  withCrc,
} from '../../../drivers/serial/wire/codec.ts';
import { duplexPair } from '../../../drivers/serial/transport/duplex-pair.ts';
import {
  serveFirmware,
  type Firmware,
  type FirmwareOptions,
} from '../../../drivers/serial/board/firmware.ts';
import { HostEnd, expectExchanges, req } from './exchange.ts';

const BOOT = 'B007AB1E';
const IDN = 'RRAM-BENCH,vlsi19-hfo2-256,EMU-00000001,0.1.0';
const DEFAULT_CONF = 'bits=8 vref=0.2 vth=0.5 window=0.0000102 mode=COUNT stop=1';
/** Seqs for out-of-band verbs, far from the ordered ones (as the host library does). */
const CTL = 40000;

/** A fingerprint of everything a command could change on a chip. */
function fingerprint(d: EmulatorDriver): string {
  const h = createHash('sha256');
  const s = d.macro.toState();
  h.update(JSON.stringify({ config: s.config, rng: s.rng }));
  for (const v of Object.values(s.cells))
    if (ArrayBuffer.isView(v)) h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return h.digest('hex');
}

const chip = () => EmulatorDriver.create({ seed: 1, clock: 'virtual' });

interface Bench {
  chip: EmulatorDriver;
  fw: Firmware;
  host: HostEnd;
}

const open: (() => Promise<void>)[] = [];

async function bench(options: FirmwareOptions = {}): Promise<Bench> {
  const c = await chip();
  const [h, b] = duplexPair();
  const host = new HostEnd(h);
  const fw = serveFirmware(b, c, { bootId: BOOT, ...options });
  open.push(async () => {
    await fw.close();
    await c.close();
    h.destroy();
  });
  assert.equal(await host.nextBody(), `! BOOT ${BOOT}`);
  return { chip: c, fw, host };
}

const twins: EmulatorDriver[] = [];
async function twin(): Promise<EmulatorDriver> {
  const c = await chip();
  twins.push(c);
  return c;
}

afterEach(async () => {
  for (const close of open.splice(0)) await close();
  for (const t of twins.splice(0)) await t.close();
});

const FORM_ARGS = [2, 5, 0.1, 1.2, 1e-5] as const;
const formReq = { startV: 2, stopV: 5, stepV: 0.1, gateV: 1.2, widthS: 1e-5 };

describe('firmware emulator', () => {
  describe('identification (§2.3, §4, §8)', () => {
    it('answers the spec examples byte for byte, with and without seq and CRC', async () => {
      const { host } = await bench();
      host.send('*IDN?');
      assert.equal(await host.next(), `- OK ${IDN}*08DE`);
      host.send('1 *IDN?*DEC9');
      assert.equal(await host.next(), `1 OK ${IDN}*E5F7`);
      host.send('2 PROT?*4492');
      assert.equal(await host.next(), '2 OK 1*D5D2');
      await host.quiet();
    });

    it('accepts \\n, \\r\\n and a lone \\r as line ends and ignores empty lines', async () => {
      const { host } = await bench();
      await expectExchanges(host, [
        [Buffer.from('*IDN?\r'), `- OK ${IDN}`],
        [Buffer.from('PROT?\r\n'), '- OK 1'],
        [Buffer.from('\n\r\n\r\r'), null],
        [Buffer.from('PROT?'), null],
        [Buffer.from('\n'), '- OK 1'],
        ['3 PROT?', null], // a seq without a CRC is not terminal input: dropped
      ]);
    });

    it('reports the chip info as JSON without spaces, with the configured firmware version', async () => {
      const { host, chip: c } = await bench({ firmwareVersion: '2.3.4' });
      host.send(req(CTL, 'LIM?'));
      const body = await host.nextBody();
      const json = body.slice(`${CTL} OK `.length);
      assert.doesNotMatch(json, / /);
      // With the PULSE count limit, which the chip's own info leaves to rram-bench's default.
      assert.deepEqual(JSON.parse(json), {
        ...c.info,
        firmwareVersion: '2.3.4',
        limits: { ...c.info.limits, maxPulseCount: 1000 },
      });
      await expectExchanges(host, [
        ['*IDN?', '- OK RRAM-BENCH,vlsi19-hfo2-256,EMU-00000001,2.3.4'],
      ]);
    });
  });

  describe('verbs (§4)', () => {
    it('serves every verb in one session', async () => {
      const { host, fw } = await bench();
      const replies: string[] = [];
      await expectExchanges(host, [
        [req(CTL, 'SESS', 'CAFE0001', 1), `${CTL} OK ${BOOT} 1`],
        [req(1, 'CONF?'), `1 OK ${DEFAULT_CONF}`],
        [
          req(2, 'CONF', 'bits=4', 'mode=TTFS', 'stop=0.5'),
          /^2 OK bits=4 vref=0\.2 vth=0\.5 window=\S+ mode=TTFS stop=0\.5$/,
        ],
        [req(3, '*RST'), '3 OK'],
        [req(4, 'CONF?'), `4 OK ${DEFAULT_CONF}`],
        [req(5, 'FORM', 0, 0, 2, 2, ...FORM_ARGS), /^5 OK \S+ \S+ \S+$/],
        [req(6, 'PULSE', 0, 0, 'SET', 1.8, 1e-6, 2.4, 3), /^6 OK [0-3]$/],
        [req(7, 'READ', 0, 0, 2, 2, 4), /^7 OK [\d.e+-]+ \S{24}$/],
        [
          req(8, 'PROG', 0, 0, 2, 1, 50, 30, 1, encodeF32(Float32Array.of(20, 30))),
          /^8 OK \S+ \S+ \S+$/,
        ],
        [req(9, 'MVM', '0-1', '0-1', 1, 'AQI='), /^9 OK 1 \S+ \S+ \S{4}$/],
        [req(10, 'IDLE'), '10 OK'],
        [req(11, 'ABORT'), '11 OK'],
        [req(12, 'CONF?'), `12 OK ${DEFAULT_CONF}`],
        [req(CTL + 1, 'SYST:ERR?'), `${CTL + 1} OK 0,"No error"`],
        [req(CTL + 2, 'LINK?'), /^40002 OK rx=15 bad=0 crc=0 long=0 cached=0 over=0$/],
      ]);
      replies.push(...host.log);
      // Payloads decode to the sizes and meanings of §4.
      const form = replies
        .find((l) => l.startsWith('5 OK '))!
        .slice(5, -5)
        .split(' ');
      assert.deepEqual([...decodeFlags(form[0]!, 4)!], [1, 1, 1, 1]);
      const formPulses = decodeU16(form[1]!, 4)!;
      assert.ok(formPulses.every((p) => p >= 1 && p <= 31));
      assert.ok(decodeF32(form[2]!, 4)!.every((g) => g > 0));
      const read = replies
        .find((l) => l.startsWith('7 OK '))!
        .slice(5, -5)
        .split(' ');
      assert.ok(Number(read[0]) > 0, 'chip time advances on the virtual clock');
      assert.equal(decodeF32(read[1]!, 4)!.length, 4);
      const prog = replies
        .find((l) => l.startsWith('8 OK '))!
        .slice(5, -5)
        .split(' ');
      const final = decodeF32(prog[0]!, 2)!;
      const converged = decodeFlags(prog[2]!, 2)!;
      for (const [k, target] of [20, 30].entries())
        if (converged[k]) assert.ok(Math.abs(final[k]! - target) <= 1, `cell ${k}: ${final[k]}`);
      // The pulse log holds the three non-idempotent requests, and the per-cell counts add up.
      assert.deepEqual(
        fw.pulseLog.map((e) => [e.seq, e.verb, e.code]),
        [
          [5, 'FORM', 0],
          [6, 'PULSE', 0],
          [8, 'PROG', 0],
        ],
      );
      const progPulses = decodeU16(prog[1]!, 2)!;
      const pulsed = Number(/^6 OK (\d)/.exec(replies.find((l) => l.startsWith('6 OK'))!)![1]);
      assert.equal(fw.appliedPulses[0], formPulses[0]! + pulsed + progPulses[0]!);
      assert.equal(fw.appliedPulses[1], formPulses[1]! + progPulses[1]!);
      assert.equal(fw.appliedPulses[256], formPulses[2]!);
    });

    it('packs MVM inputs and outputs at 8 and 4 bits, with the values of the chip itself', async () => {
      const { host, chip: c } = await bench();
      const t = await twin();
      const rows = Array.from({ length: 8 }, (_, i) => i);
      const cols = Array.from({ length: 16 }, (_, i) => i);
      await expectExchanges(host, [
        [req(CTL, 'SESS', 'CAFE0002', 1), `${CTL} OK ${BOOT} 1`],
        [req(1, 'FORM', 0, 0, 8, 16, ...FORM_ARGS), /^1 OK /],
      ]);
      await firstValueFrom(t.form({ region: { row: 0, col: 0, rows: 8, cols: 16 }, ...formReq }));
      const rng = new Rng(7);
      let seq = 2;
      const payloadChars: number[] = [];
      for (const bits of [8, 4]) {
        if (bits !== 8) {
          await expectExchanges(host, [[req(seq++, 'CONF', `bits=${bits}`), /OK bits=4 /]]);
          await firstValueFrom(t.configure({ precisionBits: bits }));
        }
        const batch = 3;
        const top = (1 << bits) - 1;
        const inputs = Uint8Array.from({ length: batch * rows.length }, () =>
          Math.floor(rng.uniform() * (top + 1)),
        );
        host.send(req(seq, 'MVM', '0-7', '0-15', batch, toBase64(packBits(inputs, bits))));
        const body = await host.nextBody();
        const m = /^(\d+) OK (\d+) (\S+) (\S+) (\S+)$/.exec(body);
        assert.ok(m, body);
        assert.equal(Number(m[1]), seq++);
        const expected = await lastValueFrom(t.mvm({ rows, cols, inputs }));
        const got = unpackBits(fromBase64(m[5]!)!, bits, batch * cols.length);
        assert.ok(got, `payload of ${bits}-bit values has the wrong size`);
        assert.deepEqual([...got], [...expected.values]);
        assert.ok(
          expected.values.some((v) => v > 0),
          'a formed array gives non-zero counts',
        );
        assert.equal(m[3], String(expected.energyJ));
        assert.equal(m[4], String(expected.latencyS));
        payloadChars.push(m[5]!.length);
      }
      assert.equal(payloadChars[1], payloadChars[0]! / 2, '4-bit results take half the characters');
      assert.equal(fingerprint(c), fingerprint(t), 'the served chip did exactly what the twin did');
    });
  });

  describe('bad lines (§2.5, §2.6)', () => {
    it('drops bad CRC, bad bytes, bad syntax and overlong lines silently, counts them, and resyncs', async () => {
      const { host, fw } = await bench();
      const long = Buffer.alloc(20000, 'A'.charCodeAt(0));
      const fits = `*IDN?${' '.repeat(MAX_LINE_BYTES - 1 - 5)}`; // 16,383 bytes + \n: the maximum
      await expectExchanges(host, [
        ['1 *IDN?*DEC8', null], // CRC off by one
        [Buffer.from([0x00, 0xff, 0x80, 0x1b, 0x0a]), null], // bytes outside §1.2
        [Buffer.from('2 *IDN\x7f?*0000\n', 'latin1'), null],
        [withCrc('3 idn?'), '3 ERR 110 no such verb: IDN?'], // verbs are case-insensitive (§2.2)
        [withCrc('70000 *IDN?'), null], // seq out of range
        ['5 *IDN?', null], // a seq without a CRC
        [long.subarray(0, 7000), null], // an overlong line, in pieces
        [long.subarray(7000), null],
        ['', null], // ends it (the empty line itself is ignored)
        [`${fits}X`, null], // one byte too many
        [fits, `- OK ${IDN}`], // exactly the maximum: accepted
        ['4 *IDN?*DEC9'.replace('4', '1'), `1 OK ${IDN}`], // and the link works again
        [req(CTL, 'LINK?'), `${CTL} OK rx=11 bad=7 crc=2 long=2 cached=0 over=0`],
      ]);
      assert.deepEqual(fw.counters.bad, { charset: 2, crc: 2, syntax: 1, long: 2 });
    });

    it('ignores garbage streams between valid requests', async () => {
      const { host, fw } = await bench();
      const rng = new Rng(3);
      const garbage = Buffer.from(Array.from({ length: 50000 }, () => rng.nextU32() & 0xff));
      host.send(garbage);
      host.send(Buffer.from('\n*IDN?\n'));
      // A garbage line that reads as terminal input with an unknown verb is answered 110.
      let unknown = 0;
      for (let body = await host.nextBody(); body !== `- OK ${IDN}`; body = await host.nextBody()) {
        assert.match(body, /^- ERR 110 no such verb: /, 'only unknown verbs are answered');
        unknown++;
      }
      await host.quiet();
      assert.ok(fw.counters.bad.charset + fw.counters.bad.long > 0);
      assert.equal(fw.counters.executed, unknown, 'no verb of the chip ran');
      assert.equal(fingerprint(fw.chip), fingerprint(await twin()), 'the chip is untouched');
    });
  });

  describe('limits and errors (§3, §6)', () => {
    it('refuses the spec example with ERR 200, applies nothing, and queues the error', async () => {
      const { host, chip: c, fw } = await bench();
      const before = fingerprint(c);
      host.send('9 PULSE 3 7 SET 4.5 1e-6 2.4 1*E9B3');
      assert.equal(
        await host.next(),
        "9 ERR 200 set amplitude 4.5 V is outside the chip's limit [0.5, 4] V*C443",
      );
      host.send('10 SYST:ERR?*E84E');
      assert.equal(
        await host.next(),
        '10 OK 200,"set amplitude 4.5 V is outside the chip\'s limit [0.5, 4] V"*42EA',
      );
      await expectExchanges(host, [[req(CTL, 'SYST:ERR?'), `${CTL} OK 0,"No error"`]]);
      assert.equal(fingerprint(c), before);
      assert.ok(fw.appliedPulses.every((n) => n === 0));
    });

    it('answers each kind of bad request with its code, queues them all, and changes nothing', async () => {
      const { host, chip: c } = await bench();
      const t = await twin();
      const cases: [string, number, RegExp?][] = [
        [req(1, 'NOPE'), 110],
        [req(2, 'PULSE', 1, 2), 111],
        [req(3, 'PULSE', 'x', 0, 'SET', 1.8, 1e-6, 2.4, 1), 111, /row must be a number/],
        [req(4, 'PULSE', 0, 0, 'UP', 1.8, 1e-6, 2.4, 1), 111],
        [req(5, 'PULSE', 300, 0, 'SET', 1.8, 1e-6, 2.4, 1), 201],
        [req(6, 'PULSE', 0, 0, 'SET', 1.8, 1, 2.4, 1), 200, /pulse width/],
        [req(7, 'READ', 0, 0, 16, 256, 1), 102],
        [req(8, 'FORM', 0, 0, 16, 256, ...FORM_ARGS), 102],
        [req(9, 'MVM', '0-3', '0-1', 1, '!!'), 111],
        [req(10, 'MVM', '0-3', '0-1', 1, 'AQI='), 201],
        [req(11, 'MVM', '0-3', 'x', 1, 'AQIDBA=='), 111],
        [req(12, 'PROG', 0, 0, 2, 1, 50, 30, 1, encodeF32(Float32Array.of(20))), 201],
        [req(13, 'PROG', 0, 0, 1, 1, 50, 30, 1, encodeF32(Float32Array.of(100))), 200],
        [req(14, 'CONF', 'bogus=1'), 111],
        [req(15, 'CONF', 'bits=x'), 111],
        [req(16, 'CONF', 'vref=5'), 200],
        [
          req(17, 'READ', 0, 0, 1, 1, 1000),
          200,
          /average 1000 reads is outside the chip's limit \[1, 64\] reads$/,
        ],
        [req(18, 'CONF', 'mode=FOO'), 111],
        [req(19, 'MVM', '0-3,2', '0', 1, 'AQIDBA=='), 201],
      ];
      await expectExchanges(host, [
        [req(CTL, 'SESS', 'CAFE0003', 1), `${CTL} OK ${BOOT} 1`],
        ...cases.map(
          ([line, code, text]) =>
            [line, new RegExp(`^\\d+ ERR ${code} ${text?.source ?? '\\S'}`)] as [string, RegExp],
        ),
        ...cases.map(
          ([, code], i) =>
            [req(CTL + 1 + i, 'SYST:ERR?'), new RegExp(`^\\d+ OK ${code},"[ -~]+"$`)] as [
              string,
              RegExp,
            ],
        ),
        [req(CTL + 99, 'SYST:ERR?'), `${CTL + 99} OK 0,"No error"`],
      ]);
      assert.equal(fingerprint(c), fingerprint(t));
    });
  });

  describe('reply cache (§5.4)', () => {
    it('answers a retried PULSE from the cache: applied once, as on a chip pulsed once', async () => {
      const { host, chip: c, fw } = await bench();
      const t = await twin();
      const pulse = req(2, 'PULSE', 0, 0, 'SET', 1.8, 1e-6, 2.4, 1);
      await expectExchanges(host, [
        [req(CTL, 'SESS', 'CAFE0004', 1), `${CTL} OK ${BOOT} 1`],
        [req(1, 'FORM', 0, 0, 1, 1, ...FORM_ARGS), /^1 OK /],
        [pulse, '2 OK 1'],
        [pulse, '2 OK 1'],
        [pulse, '2 OK 1'],
        [req(CTL + 1, 'LINK?'), /cached=2 over=0$/],
      ]);
      await firstValueFrom(t.form({ region: { row: 0, col: 0, rows: 1, cols: 1 }, ...formReq }));
      await firstValueFrom(
        t.pulse({ row: 0, col: 0, polarity: 'SET', amplitudeV: 1.8, widthS: 1e-6, gateV: 2.4 }),
      );
      assert.equal(fingerprint(c), fingerprint(t));
      assert.deepEqual(
        fw.pulseLog.map((e) => e.verb),
        ['FORM', 'PULSE'],
      );
      assert.equal(fw.counters.cached, 2);
    });

    it('refuses a cached seq with different content (ERR 400) without running it', async () => {
      const { host, fw } = await bench();
      await expectExchanges(host, [
        [req(CTL, 'SESS', 'CAFE0005', 1), `${CTL} OK ${BOOT} 1`],
        [req(1, 'PULSE', 0, 0, 'SET', 1.8, 1e-6, 2.4, 1), '1 OK 0'],
        [req(1, 'PULSE', 0, 0, 'SET', 1.9, 1e-6, 2.4, 1), /^1 ERR 400 seq 1 was already used/],
        [req(CTL + 1, 'SYST:ERR?'), /^\d+ OK 400,/],
      ]);
      assert.equal(fw.pulseLog.length, 1);
    });

    it('keeps the last 256 replies: older seqs are refused, not run again', async () => {
      const { host, fw } = await bench();
      host.send(req(CTL, 'SESS', 'CAFE0006', 1));
      assert.equal(await host.nextBody(), `${CTL} OK ${BOOT} 1`);
      const lines = Array.from({ length: 300 }, (_, i) => req(i + 1, 'CONF?'));
      host.send(lines.join('\n'));
      for (let i = 1; i <= 300; i++) assert.equal(await host.nextBody(), `${i} OK ${DEFAULT_CONF}`);
      const executed = fw.counters.executed;
      await expectExchanges(host, [
        [lines[300 - 256]!, `${301 - 256} OK ${DEFAULT_CONF}`],
        [lines[300 - 257]!, /^44 ERR 400 seq 44 is behind .* no longer in the reply cache$/],
      ]);
      assert.equal(fw.counters.executed, executed);
    });
  });

  describe('ordering (§5.1)', () => {
    it('holds requests ahead of a missing seq and runs them in order once it arrives', async () => {
      const { host, fw } = await bench();
      const pulse = (seq: number, col: number) =>
        req(seq, 'PULSE', 0, col, 'SET', 1.8, 1e-6, 2.4, 1);
      await expectExchanges(host, [
        [req(CTL, 'SESS', 'CAFE0007', 10), `${CTL} OK ${BOOT} 10`],
        [pulse(12, 2), null],
        [pulse(11, 1), null],
        [pulse(12, 2), null], // a retry of a held request: answered once, later
        [req(CTL + 1, 'SESS', 'CAFE0007', 99), `${CTL + 1} OK ${BOOT} 10`], // still waiting for 10
        [pulse(10, 0), ['10 OK 0', '11 OK 0', '12 OK 0']],
        [req(13, 'CONF?'), `13 OK ${DEFAULT_CONF}`],
      ]);
      assert.deepEqual(
        fw.pulseLog.map((e) => e.seq),
        [10, 11, 12],
      );
      assert.equal(fw.counters.duplicates, 1);
    });

    it('holds at most 8; a 9th is dropped until it is retried', async () => {
      const { host, fw } = await bench();
      const conf = (seq: number) => req(seq, 'CONF?');
      await expectExchanges(host, [
        [req(CTL, 'SESS', 'CAFE0008', 0), `${CTL} OK ${BOOT} 0`],
        ...Array.from({ length: 9 }, (_, i) => [conf(i + 1), null] as [string, null]),
      ]);
      assert.equal(fw.counters.holdOverflow, 1);
      await expectExchanges(host, [
        [conf(0), Array.from({ length: 9 }, (_, i) => `${i} OK ${DEFAULT_CONF}`)],
        [conf(9), `9 OK ${DEFAULT_CONF}`],
      ]);
    });

    it('wraps from 65535 to 0', async () => {
      const { host } = await bench();
      await expectExchanges(host, [
        [req(CTL, 'SESS', 'CAFE0009', 65534), `${CTL} OK ${BOOT} 65534`],
        [req(0, 'CONF?'), null],
        [req(65535, 'CONF?'), null],
        [
          req(65534, 'CONF?'),
          [`65534 OK ${DEFAULT_CONF}`, `65535 OK ${DEFAULT_CONF}`, `0 OK ${DEFAULT_CONF}`],
        ],
        [req(CTL + 1, 'SESS', 'CAFE0009', 5), `${CTL + 1} OK ${BOOT} 1`],
      ]);
    });
  });

  describe('sessions, ABORT, IDLE, reset (§5.5, §5.7, §6.3)', () => {
    it('a new session id forgets the reply cache; the same id keeps cache and expectation', async () => {
      const { host, fw } = await bench();
      const pulse = req(2, 'PULSE', 0, 0, 'SET', 1.8, 1e-6, 2.4, 1);
      await expectExchanges(host, [
        [req(CTL, 'SESS', 'AAAA0001', 1), `${CTL} OK ${BOOT} 1`],
        [req(1, 'CONF?'), `1 OK ${DEFAULT_CONF}`],
        [pulse, '2 OK 0'],
        [req(CTL + 1, 'SESS', 'AAAA0001', 1), `${CTL + 1} OK ${BOOT} 3`],
        [pulse, '2 OK 0'], // from the cache
        [req(CTL + 2, 'SESS', 'BBBB0002', 2), `${CTL + 2} OK ${BOOT} 2`],
        [pulse, '2 OK 0'], // a new session: run again
      ]);
      assert.equal(fw.pulseLog.length, 2);
    });

    it('ABORT fails held requests with ERR 300 and the order skips them', async () => {
      const { host } = await bench();
      await expectExchanges(host, [
        [req(CTL, 'SESS', 'CAFE000A', 1), `${CTL} OK ${BOOT} 1`],
        [req(2, 'CONF?'), null],
        [req(3, 'CONF?'), null],
        [req(CTL + 1, 'ABORT'), [/^2 ERR 300 /, /^3 ERR 300 /, `${CTL + 1} OK`]],
        [req(1, 'CONF?'), `1 OK ${DEFAULT_CONF}`],
        [req(4, 'CONF?'), `4 OK ${DEFAULT_CONF}`],
        [req(2, 'CONF?'), /^2 ERR 300 /], // from the cache
        [req(CTL + 1, 'ABORT'), `${CTL + 1} OK`], // a stop is never a cache hit: it acts again
      ]);
    });

    it('IDLE stops a running operation (ERR 300) at once', async () => {
      const { host, fw, chip: c } = await bench();
      host.send(req(CTL, 'SESS', 'CAFE000B', 1));
      assert.equal(await host.nextBody(), `${CTL} OK ${BOOT} 1`);
      // Both lines in one chunk: the FORM has started when IDLE is read.
      host.send(`${req(1, 'FORM', 0, 0, 7, 256, ...FORM_ARGS)}\n${req(CTL + 1, 'IDLE')}`);
      const got = [await host.nextBody(), await host.nextBody()].sort();
      assert.equal(got[0], '1 ERR 300 operation stopped: the chip was set idle');
      assert.equal(got[1], `${CTL + 1} OK`);
      assert.ok(c.isIdle);
      assert.deepEqual(
        fw.pulseLog.map((e) => e.code),
        [300],
      );
      await expectExchanges(host, [[req(2, 'CONF?'), `2 OK ${DEFAULT_CONF}`]]);
    });

    it('reset: a new boot id, no cache, no session, no errors, default configuration', async () => {
      const { host, fw } = await bench();
      const pulse = req(2, 'PULSE', 0, 0, 'SET', 1.8, 1e-6, 2.4, 1);
      await expectExchanges(host, [
        [req(CTL, 'SESS', 'CAFE000C', 1), `${CTL} OK ${BOOT} 1`],
        [req(1, 'CONF', 'bits=3'), /^1 OK bits=3 /],
        [pulse, '2 OK 0'],
        [req(3, 'NOPE'), /^3 ERR 110 /],
      ]);
      await fw.reset('0BADF00D');
      assert.equal(fw.bootId, '0BADF00D');
      await expectExchanges(host, [
        [null, '! BOOT 0BADF00D'],
        [req(CTL + 1, 'SESS', 'CAFE000C', 2), `${CTL + 1} OK 0BADF00D 2`],
        [req(CTL + 2, 'SYST:ERR?'), `${CTL + 2} OK 0,"No error"`],
        [pulse, '2 OK 0'], // no cache any more: run again (the host must not resend it, §5.7)
        [req(3, 'CONF?'), `3 OK ${DEFAULT_CONF}`],
      ]);
      assert.equal(fw.pulseLog.length, 2);
    });

    it('survives the stream closing: a new stream finds chip, session and cache intact', async () => {
      const { host, fw } = await bench();
      const pulse = req(2, 'PULSE', 0, 0, 'SET', 1.8, 1e-6, 2.4, 1);
      await expectExchanges(host, [
        [req(CTL, 'SESS', 'CAFE000D', 1), `${CTL} OK ${BOOT} 1`],
        [req(1, 'CONF?'), `1 OK ${DEFAULT_CONF}`],
      ]);
      host.send(pulse);
      while (fw.pulseLog.length === 0) await new Promise((r) => setTimeout(r, 1));
      host.stream.destroy(); // the cable is pulled; the reply is lost
      await new Promise((r) => setTimeout(r, 5));
      const [h2, b2] = duplexPair();
      const host2 = new HostEnd(h2);
      fw.attach(b2);
      await expectExchanges(host2, [
        [req(CTL + 1, 'SESS', 'CAFE000D', 2), `${CTL + 1} OK ${BOOT} 3`],
        [pulse, '2 OK 0'],
      ]);
      assert.equal(fw.pulseLog.length, 1);
      h2.destroy();
    });
  });

  describe('throttling', () => {
    it('paces output to baud/10 bytes per second (within 10% over 20 KB)', async function () {
      this.timeout(10000);
      const baud = 230400;
      const { host } = await bench({ baud });
      const arrivals: [number, number][] = [];
      host.stream.on('data', (b: Buffer) => arrivals.push([performance.now(), b.length]));
      const n = 16;
      host.send(
        Array.from({ length: n }, (_, i) => req(i + 1, 'READ', i, 0, 1, 256, 1)).join('\n'),
      );
      for (let i = 0; i < n; i++) assert.match(await host.nextBody(5000), /^\d+ OK /);
      const total = arrivals.reduce((s, [, b]) => s + b, 0);
      assert.ok(total >= 20000, `${total} bytes`);
      const seconds = (arrivals.at(-1)![0] - arrivals[0]![0]) / 1000;
      const rate = (total - arrivals[0]![1]) / seconds;
      const target = baud / 10;
      assert.ok(Math.abs(rate / target - 1) < 0.1, `${rate.toFixed(0)} B/s vs ${target} B/s`);
    });

    it('paces input consumption too', async function () {
      this.timeout(10000);
      const baud = 460800;
      const { host } = await bench({ baud });
      const line = `*IDN?${' '.repeat(195)}`; // 200 bytes + \n
      const n = 100;
      const t0 = performance.now();
      host.send(Array.from({ length: n }, () => line).join('\n'));
      for (let i = 0; i < n; i++) await host.nextBody(5000);
      const seconds = (performance.now() - t0) / 1000;
      const floor = (n * 201) / (baud / 10);
      assert.ok(seconds >= floor * 0.9, `${seconds.toFixed(3)} s < ${floor.toFixed(3)} s`);
    });
  });
});

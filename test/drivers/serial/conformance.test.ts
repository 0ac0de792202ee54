import assert from 'node:assert/strict';
import { firstValueFrom } from 'rxjs';
import { isBenchError } from '../../../drivers/driver.ts';
import { EmulatorDriver } from '../../../drivers/emulator/emulator-driver.ts';
import {
  CONFORMANCE_CHECKS,
  clauseSelected,
  runConformance,
  type ConformanceReport,
} from '../../../drivers/serial/conformance/conformance.ts';
import { duplexPair } from '../../../drivers/serial/transport/duplex-pair.ts';
import { Firmware } from '../../../drivers/serial/board/firmware.ts';
import {
  firmwareMockBinding,
  mockPortPair,
  startPty,
} from '../../../drivers/serial/transport/transports.ts';
import { ignoresReplyCache, omitsCrcs, speaksProtocol2, tamperedBoard } from './tampered-board.ts';
import { needsSocat } from '../../needs-socat.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function chip(): Promise<EmulatorDriver> {
  const c = await EmulatorDriver.create({ seed: 1, clock: 'virtual' });
  cleanups.push(() => c.close());
  return c;
}

/** Results that did not pass, as `clause title: detail` lines, for assertion messages. */
function problems(report: ConformanceReport): string[] {
  return report.results
    .filter((r) => r.status !== 'pass')
    .map((r) => `${r.status} ${r.clause} ${r.title}: ${r.detail}`);
}

function failedClauses(report: ConformanceReport): string[] {
  return report.results.filter((r) => r.status === 'fail').map((r) => `${r.clause} ${r.title}`);
}

/** The reference firmware passes everything; the only skip is §2.8 when its BOOT went unseen. */
function assertConforming(report: ConformanceReport, all = true): void {
  assert.equal(report.failed, 0, problems(report).join('\n'));
  for (const r of report.results.filter((x) => x.status === 'skip'))
    assert.equal(r.clause, '§2.8', r.detail);
  if (all) assert.equal(report.results.length, CONFORMANCE_CHECKS.length);
}

describe('conformance suite', () => {
  it('passes against the reference firmware on an in-memory link, every clause checked', async () => {
    const c = await chip();
    const [host, board] = duplexPair();
    const fw = new Firmware(c, {}, board);
    cleanups.push(() => fw.close());
    const seen: string[] = [];
    const report = await runConformance(
      { stream: host, name: 'memory' },
      { onResult: (r) => seen.push(r.clause) },
    );
    assertConforming(report);
    assert.equal(report.skipped, 0, 'the BOOT event was on the wire from the start');
    assert.deepEqual(
      seen,
      report.results.map((r) => r.clause),
    );
    const clauses = new Set(report.results.map((r) => r.clause));
    for (const c of [
      '§1.2',
      '§2.1',
      '§2.2',
      '§2.3',
      '§2.4',
      '§2.5',
      '§2.6',
      '§2.7',
      '§2.8',
      '§3',
      '§4',
      '§5.1',
      '§5.4',
      '§5.5',
      '§5.8',
      '§6.1',
      '§7',
    ])
      assert.ok(clauses.has(c), `no check of ${c}`);
    assert.match(report.idn ?? '', /^RRAM-BENCH,vlsi19-hfo2-256,/);
  });

  it('is safe: one cell formed and pulsed, each PULSE line executed once, configuration restored', async () => {
    const c = await chip();
    const before = await firstValueFrom(c.readout());
    const [host, board] = duplexPair();
    const fw = new Firmware(c, {}, board);
    cleanups.push(() => fw.close());
    assertConforming(await runConformance({ stream: host, name: 'memory' }));
    assert.deepEqual(await firstValueFrom(c.readout()), before);
    const touched = [...fw.appliedPulses.keys()].filter((i) => fw.appliedPulses[i]! > 0);
    assert.deepEqual(touched, [255 * 256 + 255], 'only the test cell (255, 255)');
    const lines = fw.pulseLog.map((e) => e.line);
    assert.equal(new Set(lines).size, lines.length, 'a PULSE line was executed twice');
    const l = c.info.limits;
    for (const e of fw.pulseLog.filter((x) => x.verb === 'PULSE' && x.code === 0)) {
      const [, , , , polarity, amp] = e.line.split(' ');
      const r = polarity === 'SET' ? l.set.amplitudeV : l.reset.amplitudeV;
      assert.ok(
        Number(amp) <= r.min + 0.5 * (r.max - r.min),
        `not well inside the limits: ${e.line}`,
      );
    }
  });

  it('passes over a serialport binding opened by path (MockBinding)', async () => {
    const c = await chip();
    const pair = mockPortPair('/dev/ttyCONF0', c);
    cleanups.push(() => pair.close());
    assertConforming(
      await runConformance({ path: pair.path, binding: pair.binding }, { only: ['2', '5.4'] }),
      false,
    );
  });

  describe('over a pseudo-terminal (needs socat)', () => {
    before(function () {
      needsSocat(this);
    });

    it('passes against the reference firmware through the OS serial layer', async function () {
      this.timeout(30000);
      const c = await chip();
      const server = await startPty(c);
      cleanups.push(() => server.close());
      const report = await runConformance(server.path);
      assertConforming(report);
      assert.equal(report.port, server.path);
    });
  });

  describe('against broken boards, fails the right clause', () => {
    async function against(tamper: Parameters<typeof tamperedBoard>[1], only?: string[]) {
      const c = await chip();
      const board = tamperedBoard(c, tamper);
      cleanups.push(() => board.close());
      return runConformance({ stream: board.host, name: 'broken' }, { only, replyTimeoutMs: 500 });
    }

    it('(a) a board that omits CRCs fails §2.4, and the rest still runs', async () => {
      const report = await against(omitsCrcs());
      assert.deepEqual(failedClauses(report), [
        '§2.4 every board line carries a valid CRC-16/CCITT-FALSE',
      ]);
      assert.ok(report.passed > 40, 'replies were still matched to their requests');
    });

    it('(b) a board that executes a retried PULSE again fails §5.4', async () => {
      const report = await against(ignoresReplyCache(), ['4', '5']);
      const failed = failedClauses(report);
      assert.ok(
        failed.includes(
          '§5.4 a retried PULSE (the identical line) is answered from the cache, applied once',
        ),
        failed.join('\n'),
      );
      const detail = report.results.find((r) => r.clause === '§5.4' && r.status === 'fail')!.detail;
      assert.match(detail, /cached= grew by 0|applied again/);
    });

    it('(c) a board that reports PROT? 2 fails §4 PROT? and the §7 handshake', async () => {
      const report = await against(speaksProtocol2());
      assert.deepEqual(failedClauses(report), [
        '§7 the connect handshake: newline, *IDN?, PROT?, LIM?, SESS, SYST:ERR? until 0',
        '§4 PROT? answers 1',
      ]);
      assert.match(report.results[0]!.detail, /board speaks protocol 2, this rram-bench speaks 1/);
    });
  });

  describe('a board it cannot test', () => {
    it('a silent board: TIMEOUT naming the port', async () => {
      const [host] = duplexPair();
      cleanups.push(() => void host.destroy());
      await assert.rejects(
        runConformance({ stream: host, name: '/dev/ttySILENT' }, { replyTimeoutMs: 100 }),
        (e) => isBenchError(e, 'TIMEOUT') && /no answer from \/dev\/ttySILENT/.test(e.message),
      );
    });

    it('a board sending garbage: PROTOCOL', async () => {
      const [host, board] = duplexPair();
      cleanups.push(() => void host.destroy());
      board.on('data', () => board.write('\x00\xff#garbage\r\n'));
      await assert.rejects(
        runConformance({ stream: host, name: '/dev/ttyNOISE' }, { replyTimeoutMs: 100 }),
        (e) =>
          isBenchError(e, 'PROTOCOL') && /\/dev\/ttyNOISE sends lines but no reply/.test(e.message),
      );
    });

    it('no such port: IO naming the path', async () => {
      await assert.rejects(
        runConformance({ path: '/dev/ttyNOPE', binding: firmwareMockBinding }),
        (e) => isBenchError(e, 'IO') && e.message.includes('/dev/ttyNOPE'),
      );
    });
  });

  it('--only selects by clause prefix, with or without §', () => {
    assert.ok(clauseSelected('§5.4', ['5']));
    assert.ok(clauseSelected('§5.4', ['§5.4']));
    assert.ok(clauseSelected('§3', ['3']));
    assert.ok(!clauseSelected('§5.4', ['5.1']));
    assert.ok(!clauseSelected('§2.1', ['2.10']));
    assert.ok(!clauseSelected('§2.10', ['2.1']));
    assert.ok(clauseSelected('§7', undefined));
  });
});

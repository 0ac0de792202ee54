/**
 * Benchmarks of the serial link: how close streaming MVMs through the wire protocol comes to
 * what the link can carry, how fast it goes over a real PTY to a board in another process, and
 * how much of the wire is payload. They live beside the serial driver (src/ reaches
 * implementations only through the factory) and have the shape of src/bench's `Benchmark`.
 */
import { firstValueFrom } from 'rxjs';
import { BenchError } from '../driver.ts';
import { EmulatorDriver } from '../emulator/emulator-driver.ts';
import { Rng } from '../emulator/rng.ts';
import { mockPortPair } from './transport/mock-port-pair.ts';
import { SerialDriver } from './host/serial-driver.ts';
import { startBoardProcess } from './transport/board-process.ts';
import { findSocat } from './transport/start-pty.ts';

interface Result {
  value: number;
  unit: string;
  higherIsBetter: boolean;
  target?: number;
  [extra: string]: unknown;
}

const ALL = Array.from({ length: 256 }, (_, i) => i);
const BAUD = 921_600;
/** Vectors per driver.mvm call: many requests, so the window keeps the link busy. */
const CALL_BATCH = 1024;

function inputs(batch: number, seed = 5): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: batch * 256 }, () => rng.nextU32() & 255);
}

/** Stream full-array 8-bit MVMs for at least `minS`; MVMs per second. */
async function stream(
  driver: SerialDriver,
  minS: number,
): Promise<{ mvms: number; seconds: number }> {
  const x = inputs(CALL_BATCH);
  await firstValueFrom(driver.mvm({ rows: ALL, cols: ALL, inputs: x })); // warm-up
  let mvms = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minS * 1000) {
    await firstValueFrom(driver.mvm({ rows: ALL, cols: ALL, inputs: x }));
    mvms += CALL_BATCH;
  }
  return { mvms, seconds: (performance.now() - t0) / 1000 };
}

/** The emulated board behind a throttled in-process link, and the host driver on it. */
async function throttledLink() {
  const chip = await EmulatorDriver.create({ seed: 3, clock: 'virtual' });
  const pair = mockPortPair('/dev/rram-bench-bench', chip, { baud: BAUD });
  const driver = await SerialDriver.open({
    path: pair.path,
    binding: pair.binding,
    baudRate: BAUD,
  });
  return {
    driver,
    firmware: pair.firmware,
    async close() {
      await driver.close();
      await pair.close();
      await chip.close();
    },
  };
}

export const linkBenchmarks = [
  {
    name: 'link.efficiency',
    description:
      'full-array 8-bit MVMs streamed through the firmware emulator throttled to 921,600 baud, as a fraction of the link-limited bound',
    async run(): Promise<Result> {
      const link = await throttledLink();
      try {
        const before = { rx: link.firmware.counters.rxBytes, tx: link.firmware.counters.txBytes };
        const { mvms, seconds } = await stream(link.driver, 4);
        const toBoard = (link.firmware.counters.rxBytes - before.rx) / (mvms + CALL_BATCH);
        const toHost = (link.firmware.counters.txBytes - before.tx) / (mvms + CALL_BATCH);
        // Full duplex at 10 bits per byte (8N1): the busier direction bounds the rate.
        const bound = BAUD / 10 / Math.max(toBoard, toHost);
        const rate = mvms / seconds;
        return {
          value: rate / bound,
          unit: 'of bound',
          higherIsBetter: true,
          target: 0.9,
          mvmPerS: rate,
          boundMvmPerS: bound,
          bytesPerMvmToBoard: toBoard,
          bytesPerMvmToHost: toHost,
          baud: BAUD,
        };
      } finally {
        await link.close();
      }
    },
  },
  {
    name: 'link.payload_efficiency',
    description:
      'payload bytes / wire bytes when streaming MVMs and reading a full conductance map',
    async run(): Promise<Result> {
      const chip = await EmulatorDriver.create({ seed: 3, clock: 'virtual' });
      const pair = mockPortPair('/dev/rram-bench-payload', chip);
      const driver = await SerialDriver.open({ path: pair.path, binding: pair.binding });
      try {
        const c = pair.firmware.counters;
        let wire = c.rxBytes + c.txBytes;
        await firstValueFrom(driver.mvm({ rows: ALL, cols: ALL, inputs: inputs(CALL_BATCH) }));
        const mvmWire = c.rxBytes + c.txBytes - wire;
        const mvmPayload = CALL_BATCH * 256 * 2; // 8-bit inputs in, 8-bit counts out
        wire = c.rxBytes + c.txBytes;
        await firstValueFrom(driver.read({ region: { row: 0, col: 0, rows: 256, cols: 256 } }));
        const readWire = c.rxBytes + c.txBytes - wire;
        const readPayload = 65536 * 4; // float32 conductances
        return {
          value: (mvmPayload + readPayload) / (mvmWire + readWire),
          unit: 'payload/wire',
          higherIsBetter: true,
          target: 0.7,
          mvm: mvmPayload / mvmWire,
          readMap: readPayload / readWire,
        };
      } finally {
        await driver.close();
        await pair.close();
        await chip.close();
      }
    },
  },
  {
    name: 'link.pty_mvm_per_s',
    description:
      'full-array 8-bit MVMs per second to `rram-bench emulate --pty` in another process, unthrottled, through the OS serial layer',
    async run(): Promise<Result> {
      if (!findSocat())
        throw new BenchError('IO', 'link.pty_mvm_per_s needs socat (apt-get install socat)');
      const board = await startBoardProcess(['--time', 'virtual', '--seed', '3']);
      try {
        const driver = await SerialDriver.open({ path: board.path });
        try {
          const { mvms, seconds } = await stream(driver, 4);
          return { value: mvms / seconds, unit: 'MVM/s', higherIsBetter: true, target: 5000, mvms };
        } finally {
          await driver.close();
        }
      } finally {
        await board.stop();
      }
    },
  },
];

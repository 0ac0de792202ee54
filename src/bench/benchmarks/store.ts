/**
 * Benchmarks of the store (register in index.ts: `...storeBenchmarks`).
 *   store.ingest_records_per_s — per-cell programming results committed through Store.commitUnit
 *     (one full 256×256 array per transaction, file database in WAL mode), ≥ 500,000 /s;
 *   store.ingest_ratio — that rate over a raw better-sqlite3 loop (same table, same statement,
 *     same transaction size) measured in the same run, ≥ 0.7;
 *   store.map_write_ms — one full-array float32 conductance map committed (median), ≤ 5 ms.
 */
import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChipInfo } from '../../../drivers/driver.ts';
import type { Measurement } from '../../store/measurement.ts';
import { Store } from '../../store/store.ts';
import type { Benchmark } from '../harness.ts';

const SIZE = 256;
const CELLS = SIZE * SIZE;
const ROUNDS = 12;

const chip = {
  model: 'bench',
  serial: 'b',
  firmwareVersion: '0',
  protocolVersion: 1,
  rows: SIZE,
  cols: SIZE,
  emulated: true,
} as ChipInfo;

function fullArray(): Measurement {
  const n = CELLS;
  const targets = Float32Array.from({ length: n }, (_, i) => 1 + (i % 39));
  return {
    kind: 'program',
    targetsMicroS: targets,
    result: {
      region: { row: 0, col: 0, rows: SIZE, cols: SIZE },
      finalMicroS: targets.map((t) => t + 0.25),
      pulses: Uint16Array.from({ length: n }, (_, i) => i % 30),
      converged: Uint8Array.from({ length: n }, (_, i) => (i % 17 === 0 ? 0 : 1)),
    },
  };
}

function withStore<T>(fn: (store: Store, runId: number) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'rram-bench-store-'));
  const store = Store.open(join(dir, 'bench.db'));
  try {
    const runId = store.createRun(
      {
        uuid: 'bench',
        campaignName: 'bench',
        campaignText: '',
        chipId: store.upsertChip(chip),
        connection: 'emulator',
        softwareVersion: 'bench',
      },
      Array.from({ length: 200 }, (_, idx) => ({
        idx,
        kind: 'program',
        name: 'p',
        params: {},
        units: 1,
      })),
    );
    return fn(store, runId);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Records per second through the store (best of ROUNDS full arrays). */
function storeRate(): number {
  const m = fullArray();
  return withStore((store, runId) => {
    let best = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      store.commitUnit(runId, r, 0, [m]);
      best = Math.max(best, CELLS / ((performance.now() - t0) / 1000));
    }
    return best;
  });
}

/** Records per second of a raw insert loop into the same table (best of ROUNDS). */
function rawRate(): number {
  const m = fullArray() as Extract<Measurement, { kind: 'program' }>;
  return withStore((store, runId) => {
    const db: Database.Database = store.db;
    const insert = db.prepare('INSERT INTO program_cells VALUES (?,?,?,?,?,?,?,?)');
    const ids = db
      .prepare('SELECT id FROM steps WHERE run_id = ? ORDER BY idx')
      .pluck()
      .all(runId) as number[];
    const { finalMicroS, pulses, converged } = m.result;
    let best = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const step = ids[100 + r]!;
      const t0 = performance.now();
      db.transaction(() => {
        for (let i = 0; i < CELLS; i++)
          insert.run(
            step,
            0,
            i >> 8,
            i & 255,
            m.targetsMicroS[i]!,
            finalMicroS[i]!,
            pulses[i]!,
            converged[i]!,
          );
      })();
      best = Math.max(best, CELLS / ((performance.now() - t0) / 1000));
    }
    return best;
  });
}

let ingest: { store: number; raw: number } | undefined;
/** Both rates, measured once per process, interleaved so machine load hits both alike. */
function measureIngest(): { store: number; raw: number } {
  if (!ingest) {
    let store = 0;
    let raw = 0;
    for (let k = 0; k < 3; k++) {
      raw = Math.max(raw, rawRate());
      store = Math.max(store, storeRate());
    }
    ingest = { store, raw };
  }
  return ingest;
}

/** The store's benchmarks. */
export const storeBenchmarks: Benchmark[] = [
  {
    name: 'store.ingest_records_per_s',
    description:
      'per-cell programming records/s committed via Store.commitUnit, 65,536 per transaction, WAL file',
    run() {
      const { store, raw } = measureIngest();
      return Promise.resolve({
        value: store,
        unit: 'records/s',
        higherIsBetter: true,
        target: 500_000,
        rawRecordsPerS: raw,
      });
    },
  },
  {
    name: 'store.ingest_ratio',
    description:
      'store ingest rate over a raw better-sqlite3 insert loop on the same table, same run',
    run() {
      const { store, raw } = measureIngest();
      return Promise.resolve({
        value: store / raw,
        unit: 'ratio',
        higherIsBetter: true,
        target: 0.7,
        storeRecordsPerS: store,
        rawRecordsPerS: raw,
      });
    },
  },
  {
    name: 'store.map_write_ms',
    description:
      'one full-array (256×256) float32 conductance map committed with its checkpoint (median of 50)',
    run() {
      const microS = Float32Array.from({ length: CELLS }, (_, i) => 1 + (i % 40));
      const times = withStore((store, runId) => {
        const t: number[] = [];
        for (let u = 0; u < 50; u++) {
          const m: Measurement = {
            kind: 'map',
            label: 'read',
            map: {
              region: { row: 0, col: 0, rows: SIZE, cols: SIZE },
              microS,
              average: 1,
              timeS: u,
            },
          };
          const t0 = performance.now();
          store.commitUnit(runId, 0, u, [m]);
          t.push(performance.now() - t0);
        }
        return t.sort((a, b) => a - b);
      });
      return Promise.resolve({
        value: times[Math.floor(times.length / 2)]!,
        unit: 'ms',
        higherIsBetter: false,
        target: 5,
        maxMs: times[times.length - 1],
      });
    },
  },
];

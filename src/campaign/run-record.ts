/**
 * The one stream a campaign run emits: typed records that the store, the CLI's progress lines
 * and the terminal UI each subscribe to. Measurement records of a unit of work are followed by
 * a `checkpoint` record; the store commits them together.
 */
import type { LinkCounters } from '../../drivers/driver.ts';
import type { Measurement } from '../store/measurement.ts';

/** The engine's states (Bluesky's RunEngine has the same). */
export type EngineState =
  'idle' | 'running' | 'pausing' | 'paused' | 'aborting' | 'completed' | 'failed';

/** How a run ended. */
export type StopStatus = 'completed' | 'failed' | 'aborted';

/** A step as announced at the start of a run. */
export interface StepOutline {
  idx: number;
  name: string;
  kind: string;
  units: number;
  /** Units already committed (a resumed run). */
  checkpoint: number;
  /** Completed in an earlier attempt (a resumed run). */
  completed: boolean;
}

/** The end of every run, whatever happened. */
export interface StopRecord {
  type: 'stop';
  status: StopStatus;
  reason: string;
  /** BenchError code of the failure or abort. */
  code?: string;
  /** Over a serial port: the host's link counters at the end (retries, bad lines, reconnects…). */
  link?: LinkCounters;
}

/** Everything a run emits. */
export type RunRecord =
  | {
      type: 'start';
      runUuid: string;
      campaign: string;
      resumed: boolean;
      /** Committed units are re-derived on the chip rather than skipped (see docs/data-model.md). */
      replay: boolean;
      steps: StepOutline[];
    }
  | { type: 'state'; state: EngineState }
  | {
      type: 'step-start';
      idx: number;
      name: string;
      kind: string;
      units: number;
      from: number;
      state: unknown;
    }
  | { type: 'progress'; idx: number; done: number; total: number; detail?: string }
  /** A wait of chip time begins (`seconds` s; instant on a virtual-time emulator). */
  | { type: 'wait'; idx: number; seconds: number }
  | { type: 'measurement'; idx: number; unit: number; measurement: Measurement }
  | { type: 'checkpoint'; idx: number; unit: number; units: number }
  | {
      type: 'step-end';
      idx: number;
      name: string;
      status: 'completed' | 'failed' | 'aborted';
      summary: Record<string, unknown>;
      /** Time the step took in this attempt (ms), pauses excluded. */
      ms: number;
    }
  | { type: 'event'; kind: string; message: string; code?: string; idx?: number }
  | StopRecord;

/**
 * A synchronous consumer the engine calls before the record reaches the stream. A throw stops
 * the run (failed): a store that cannot commit must not let acquisition go on.
 */
export interface Recorder {
  record(r: RunRecord): void;
}

/**
 * The store's subscription to a run's records: measurements are held until their unit's
 * checkpoint (or the step's end) and committed with it in one transaction; events and the stop
 * record are written as they come. Called synchronously by the engine, so a failed commit stops
 * the run instead of letting acquisition go on unrecorded.
 */
import type { Recorder, RunRecord } from '../campaign/run-record.ts';
import type { Measurement } from './measurement.ts';
import type { Store } from './store.ts';

/** Writes one run's records into `store`. */
export class StoreRecorder implements Recorder {
  private pending: Measurement[] = [];

  constructor(
    private readonly store: Store,
    private readonly runId: number,
  ) {}

  record(r: RunRecord): void {
    const { store, runId } = this;
    switch (r.type) {
      case 'step-start':
        this.pending = [];
        store.startStep(runId, r.idx, r.state);
        return;
      case 'measurement':
        this.pending.push(r.measurement);
        return;
      case 'checkpoint':
        store.commitUnit(runId, r.idx, r.unit, this.pending);
        this.pending = [];
        return;
      case 'step-end':
        // A failed or aborted step's uncommitted unit is dropped: it will be redone on resume.
        store.finishStep(
          runId,
          r.idx,
          r.status,
          r.summary,
          r.status === 'completed' ? this.pending : [],
        );
        this.pending = [];
        return;
      case 'event':
        store.addEvent(runId, r.idx ?? null, r.kind, r.message, r.code);
        return;
      case 'stop':
        store.stopRun(runId, r.status, r.reason, r.code, r.link);
        return;
      case 'start':
      case 'state':
      case 'progress':
      case 'wait':
        return;
    }
  }
}

/**
 * The run engine: interprets a campaign plan step by step, unit by unit, with explicit states
 * (idle → running ⇄ pausing → paused, aborting, completed, failed) and one stream of typed
 * records. After each unit of work the measurements it produced and a checkpoint are handed to
 * the recorder (the store commits them in one transaction), so a crash loses at most the unit in
 * flight. Pause and abort take effect between units; abort and failure leave the chip idle.
 * Every run ends with a stop record.
 *
 * Resume: steps completed before are skipped and units below a step's checkpoint are not
 * recorded again. With `replay` they are re-run on the chip without being recorded — what an
 * emulated chip that lost its state with its process needs to reach the state it had; without
 * it (a real chip, which keeps its conductances) they are skipped and their stored
 * measurements are read back for the step's aggregation. Settings steps (`configure`,
 * `identify`) are always re-applied.
 */
import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import type { ChipDriver, ChipInfo, LinkCounters } from '../../drivers/driver.ts';
import { BenchError, isBenchError } from '../../drivers/driver.ts';
import { observe } from '../pipeline/observe.ts';
import type { Measurement } from '../store/measurement.ts';
import type { CampaignPlan } from './parse-campaign.ts';
import type { EngineState, Recorder, RunRecord, StepOutline, StopRecord } from './run-record.ts';
import type { StepContext, StepRunner } from './step-runner.ts';
import { stepRunner, stepSeed } from './steps/step-runners.ts';

/** Where a step of an earlier attempt stopped. */
export interface StepProgress {
  completed: boolean;
  /** Units committed. */
  checkpoint: number;
}

/** How to continue an earlier attempt. */
export interface ResumeFrom {
  /** By step index. */
  steps: ReadonlyMap<number, StepProgress>;
  /** Re-run committed units on the chip (unrecorded) instead of skipping them. */
  replay: boolean;
  /** The measurements a step committed, unit by unit (for skipped units). */
  committed(idx: number): Measurement[];
}

/** What the engine runs with. */
export interface EngineOptions {
  driver: ChipDriver;
  chip: ChipInfo;
  plan: CampaignPlan;
  runUuid: string;
  /** Called synchronously with every record before it is emitted; a throw fails the run. */
  recorder?: Recorder;
  resume?: ResumeFrom;
  /** The export step's implementation. */
  exportRun?: StepContext['exportRun'];
}

/** Interprets one campaign run. */
export class RunEngine {
  private readonly subject = new Subject<RunRecord>();
  /** Every record of the run, in order; subscribe before `run()`. Completes after the stop record. */
  readonly records: Observable<RunRecord> = this.subject.asObservable();
  private current: EngineState = 'idle';
  /** Index of the step running now, for the link events that happen during it. */
  private stepIdx: number | undefined;
  private readonly abortController = new AbortController();
  private abortReason = 'aborted';
  private unpause: (() => void) | undefined;
  /** What each finished step stored, by step index (for `StepContext.earlier`). */
  private readonly history = new Map<number, Measurement[]>();
  /** Time spent paused since the engine started (ms), for step durations without pauses. */
  private pausedMs = 0;

  constructor(private readonly o: EngineOptions) {}

  /** The engine's state. */
  get state(): EngineState {
    return this.current;
  }

  /** The link's counters (a serial board), read when a display asks; undefined without a link. */
  linkCounters(): LinkCounters | undefined {
    return this.o.driver.linkCounters?.();
  }

  /** Ask to pause after the unit in flight. */
  pause(): void {
    if (this.current === 'running') this.setState('pausing');
  }

  /** Continue after a pause. */
  resume(): void {
    if (this.current === 'pausing') this.setState('running');
    if (this.current === 'paused') {
      this.setState('running');
      this.unpause?.();
    }
  }

  /** Stop: cancel the operation in flight, leave the chip idle, end with an `aborted` stop record. */
  abort(reason = 'aborted by the user'): void {
    if (this.current === 'completed' || this.current === 'failed' || this.current === 'aborting')
      return;
    this.abortReason = reason;
    this.setState('aborting');
    this.abortController.abort();
    this.unpause?.();
  }

  private emit(r: RunRecord): void {
    this.o.recorder?.record(r);
    this.subject.next(r);
  }

  private setState(state: EngineState): void {
    this.current = state;
    this.emit({ type: 'state', state });
  }

  /** Run the plan; resolves with the stop record (never rejects for a failing step). */
  async run(): Promise<StopRecord> {
    const { plan, resume } = this.o;
    const runners = plan.steps.map((p) => stepRunner(p, stepSeed(plan.seed, p.idx)));
    const outline: StepOutline[] = plan.steps.map((p, i) => ({
      idx: p.idx,
      name: p.name,
      kind: p.step.kind,
      units: runners[i]!.units,
      checkpoint: resume?.steps.get(p.idx)?.checkpoint ?? 0,
      completed: resume?.steps.get(p.idx)?.completed ?? false,
    }));
    let stop: StopRecord;
    // Link trouble (a serial board unplugged and found again, a board reset) goes in the run log.
    const linkSub = this.o.driver.linkEvents?.subscribe((e) => {
      try {
        this.emit({ type: 'event', kind: e.kind, message: e.message, idx: this.stepIdx });
      } catch {
        /* a store failure surfaces through the unit in flight */
      }
    });
    try {
      this.emit({
        type: 'start',
        runUuid: this.o.runUuid,
        campaign: plan.name,
        resumed: !!resume,
        replay: !!resume?.replay,
        steps: outline,
      });
      this.setState('running');
      if (resume?.replay && outline.some((s) => s.completed || s.checkpoint > 0))
        this.emit({
          type: 'event',
          kind: 'replay',
          message:
            'replaying committed units on the emulated chip to re-derive its state (not recorded again)',
        });
      for (let i = 0; i < runners.length; i++) await this.runStep(i, runners[i]!, outline[i]!);
      stop = { type: 'stop', status: 'completed', reason: 'all steps completed' };
    } catch (e) {
      stop = await this.ending(e);
    }
    linkSub?.unsubscribe();
    const link = this.o.driver.linkCounters?.();
    if (link) stop = { ...stop, link };
    try {
      this.setState(
        stop.status === 'completed' ? 'completed' : stop.status === 'failed' ? 'failed' : 'idle',
      );
      this.emit(stop);
    } catch (e) {
      // The stop record could not be recorded (the store failed): still report how it ended.
      stop = {
        type: 'stop',
        status: 'failed',
        reason: `cannot record the end of the run: ${(e as Error).message}`,
        code: 'IO',
      };
      this.subject.next(stop);
    }
    this.subject.complete();
    return stop;
  }

  private async ending(e: unknown): Promise<StopRecord> {
    const aborted = this.abortController.signal.aborted || isBenchError(e, 'ABORTED');
    // Whatever happened, the chip is left idle.
    await observe(this.o.driver.idle(), { first: true }).catch(() => undefined);
    if (aborted) {
      try {
        this.emit({
          type: 'event',
          kind: 'interrupted',
          message: this.abortReason,
          code: 'ABORTED',
        });
      } catch {
        /* the stop record below reports it */
      }
      return { type: 'stop', status: 'aborted', reason: this.abortReason, code: 'ABORTED' };
    }
    const code = isBenchError(e) ? e.code : 'UNEXPECTED';
    const message = e instanceof Error ? e.message : String(e);
    try {
      this.emit({ type: 'event', kind: 'error', message, code });
    } catch {
      /* the stop record below reports it */
    }
    return { type: 'stop', status: 'failed', reason: message, code };
  }

  private context(
    idx: number,
    replaying: boolean,
    resumed: readonly Measurement[] = [],
  ): StepContext {
    const { driver, chip, plan } = this.o;
    const signal = this.abortController.signal;
    return {
      driver,
      chip,
      signal,
      idx,
      seed: stepSeed(plan.seed, idx),
      replaying,
      progress: (done, total, detail) => {
        if (!replaying)
          this.emit({
            type: 'progress',
            idx,
            done,
            total,
            ...(detail !== undefined && { detail }),
          });
      },
      wait: async (seconds) => {
        // The chip's own time: real on a board, an instant clock advance on a virtual emulator.
        if (seconds > 0) {
          if (!replaying) this.emit({ type: 'wait', idx, seconds });
          await observe(driver.wait(seconds), { signal });
        }
      },
      resumed,
      earlier: () =>
        plan.steps
          .filter((p) => p.idx < idx && this.history.has(p.idx))
          .map((p) => ({
            idx: p.idx,
            kind: p.step.kind,
            name: p.name,
            measurements: this.history.get(p.idx)!,
          })),
      exportRun:
        this.o.exportRun ??
        (() => Promise.reject(new BenchError('UNSUPPORTED', 'export is not available here'))),
    };
  }

  /** Between units: honour pause and abort. */
  private async boundary(): Promise<void> {
    if (this.current === 'pausing') {
      this.setState('paused');
      const t = performance.now();
      await new Promise<void>((resolve) => (this.unpause = resolve));
      this.pausedMs += performance.now() - t;
      this.unpause = undefined;
    }
    if (this.abortController.signal.aborted) throw new BenchError('ABORTED', this.abortReason);
  }

  private async runStep(i: number, runner: StepRunner, outline: StepOutline): Promise<void> {
    const replay = this.o.resume?.replay ?? false;
    const p = this.o.plan.steps[i]!;
    this.stepIdx = p.idx;
    if (outline.completed) {
      this.history.set(p.idx, this.o.resume?.committed(p.idx) ?? []);
      if (runner.reapply || (replay && runner.touchesChip)) {
        const ctx = this.context(p.idx, true);
        await runner.enter?.(ctx);
        for (let u = 0; u < runner.units; u++) {
          await this.boundary();
          await runner.unit(u, ctx);
        }
      }
      return;
    }
    const t0 = performance.now();
    const paused0 = this.pausedMs;
    const activeMs = () => performance.now() - t0 - (this.pausedMs - paused0);
    this.emit({
      type: 'step-start',
      idx: p.idx,
      name: p.name,
      kind: p.step.kind,
      units: runner.units,
      from: outline.checkpoint,
      state: p.step,
    });
    const resumed =
      outline.checkpoint > 0 && !(replay && runner.touchesChip)
        ? (this.o.resume?.committed(p.idx) ?? [])
        : [];
    const live = this.context(p.idx, false, resumed);
    try {
      await runner.enter?.(live);
      const all: Measurement[] = [...resumed];
      for (let u = 0; u < runner.units; u++) {
        await this.boundary();
        if (u < outline.checkpoint) {
          if (replay && runner.touchesChip)
            all.push(...(await runner.unit(u, this.context(p.idx, true))));
          continue;
        }
        const ms = await runner.unit(u, live);
        for (const m of ms) this.emit({ type: 'measurement', idx: p.idx, unit: u, measurement: m });
        this.emit({ type: 'checkpoint', idx: p.idx, unit: u, units: runner.units });
        all.push(...ms);
      }
      const out = await runner.finish(all, live);
      for (const m of out.measurements)
        this.emit({ type: 'measurement', idx: p.idx, unit: -1, measurement: m });
      this.history.set(p.idx, [...all, ...out.measurements]);
      this.emit({
        type: 'step-end',
        idx: p.idx,
        name: p.name,
        status: 'completed',
        summary: out.summary,
        ms: activeMs(),
      });
    } catch (e) {
      const aborted = this.abortController.signal.aborted || isBenchError(e, 'ABORTED');
      const message = e instanceof Error ? e.message : String(e);
      try {
        this.emit({
          type: 'step-end',
          idx: p.idx,
          name: p.name,
          status: aborted ? 'aborted' : 'failed',
          summary: aborted ? {} : { error: message },
          ms: activeMs(),
        });
      } catch {
        /* reported by the stop record */
      }
      throw e;
    }
  }
}

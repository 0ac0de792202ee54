/**
 * The end of a closed-loop run: accuracy per stage (the `accuracy.<stage>` metrics), training
 * time per epoch, and chip time per step — the table printed after the run and, with `--json`,
 * the final `{ type: 'result', accuracy: { software, naive, noiseAware, final, … } }` line.
 */
import type { RunReader } from '../store/run-reader.ts';

/** What a closed-loop run achieved. */
export interface ClosedLoopSummary {
  /** Accuracy (fraction) by stage, in the order measured. */
  accuracy: Record<string, number>;
  /** Mean wall time per training epoch (s) by train step name. */
  epochS: Record<string, number>;
  /** Chip time (s) by step name (MVMs of evaluate steps, write pulses of deploy steps). */
  chipTimeS: Record<string, number>;
}

/** The summary of run `runId`, or undefined when it measured no `accuracy.*` metric. */
export function closedLoopSummary(reader: RunReader, runId: number): ClosedLoopSummary | undefined {
  const steps = new Map(reader.steps(runId).map((s) => [s.idx, s.name ?? s.kind]));
  const out: ClosedLoopSummary = { accuracy: {}, epochS: {}, chipTimeS: {} };
  for (const m of reader.metrics(runId)) {
    const step = steps.get(m.stepIdx) ?? String(m.stepIdx);
    if (m.name.startsWith('accuracy.')) out.accuracy[m.name.slice('accuracy.'.length)] = m.value;
    else if (m.name === 'epoch_s') out.epochS[step] = m.value;
    else if (m.name === 'chip_time_s') out.chipTimeS[step] = m.value;
  }
  return Object.keys(out.accuracy).length > 0 ? out : undefined;
}

/** The summary as a plain-text table. */
export function formatClosedLoop(s: ClosedLoopSummary): string {
  const software = s.accuracy.software;
  const rows = Object.entries(s.accuracy).map(([stage, acc]) => {
    const delta =
      software === undefined || stage === 'software'
        ? ''
        : `${((acc - software) * 100).toFixed(2).padStart(6)} pp`;
    return `  ${stage.padEnd(14)} ${(acc * 100).toFixed(2).padStart(6)} %  ${delta}`;
  });
  const epochs = Object.entries(s.epochS).map(
    ([step, t]) => `  ${step.padEnd(32)} ${t.toFixed(2)} s/epoch`,
  );
  const chip = Object.entries(s.chipTimeS).map(
    ([step, t]) => `  ${step.padEnd(32)} ${(t * 1000).toFixed(1)} ms chip time`,
  );
  return [
    'accuracy per stage (vs software):',
    ...rows,
    ...(epochs.length ? ['training:', ...epochs] : []),
    ...(chip.length ? ['chip time:', ...chip] : []),
    '',
  ].join('\n');
}

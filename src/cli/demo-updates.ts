/** The demo's events as terminal-UI updates. */
import type { DemoEvent } from '../demo/run-demo.ts';
import { demoSteps } from '../demo/run-demo.ts';
import type { JobUpdate } from '../ui/job-state.ts';
import { describeDemoStep } from './format-demo.ts';

/** The first updates: the job and its steps, the first one running. */
export function demoJobStart(subtitle: string): JobUpdate[] {
  return [
    { kind: 'job', title: 'rram-bench demo', subtitle, steps: demoSteps },
    { kind: 'step-start', index: 0 },
  ];
}

/** Updates for one demo event. Demo step indexes count from 1 once the step is done. */
export function demoJobUpdates(e: DemoEvent): JobUpdate[] {
  switch (e.kind) {
    case 'step': {
      const done: JobUpdate = {
        kind: 'step-done',
        index: e.index - 1,
        summary: describeDemoStep(e.step, e.report),
        ms: e.ms,
      };
      return e.index < e.total ? [done, { kind: 'step-start', index: e.index }] : [done];
    }
    case 'progress':
      return [{ kind: 'progress', index: demoSteps.indexOf(e.step), done: e.done, total: e.total }];
    case 'done':
      return [];
  }
}

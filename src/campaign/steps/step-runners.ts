/** The runner of each kind of concrete step. */
import type { PlannedStep } from '../parse-campaign.ts';
import type { StepRunner } from '../step-runner.ts';
import { calibrateStep } from './calibrate-step.ts';
import { characterizeStep } from './characterize-step.ts';
import { deployStep } from './deploy-step.ts';
import { evaluateStep } from './evaluate-step.ts';
import { inferStep } from './infer-step.ts';
import { programStep } from './program-step.ts';
import { retentionStep } from './retention-step.ts';
import { trainStep } from './train-step.ts';
import { configureStep, exportStep, formStep, identifyStep, readMapStep } from './simple-steps.ts';

/** The runner for a planned step; `seed` is the step's seed. */
export function stepRunner(p: PlannedStep, seed: number): StepRunner {
  const s = p.step;
  switch (s.kind) {
    case 'identify':
      return identifyStep();
    case 'configure':
      return configureStep(s);
    case 'form':
      return formStep(s);
    case 'characterize':
      return characterizeStep(s);
    case 'program':
      return programStep(s, p.weights, seed);
    case 'read-map':
      return readMapStep(s);
    case 'retention':
      return retentionStep(s);
    case 'infer':
      return inferStep(s);
    case 'export':
      return exportStep(s);
    case 'train':
      return trainStep(s);
    case 'deploy':
      return deployStep(s, p.layerWeights);
    case 'calibrate':
      return calibrateStep(s);
    case 'evaluate':
      return evaluateStep(s);
  }
}

/** The seed of step `idx` of a campaign seeded `seed`. */
export function stepSeed(seed: number, idx: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + idx * 0x85ebca6b) >>> 0;
}

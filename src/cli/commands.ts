/** Every command of `rram-bench`, in the order `--help` lists them. Later issues add theirs here. */
import { bench } from './bench.ts';
import { campaignSchema } from './campaign-schema.ts';
import { characterizeModel } from './characterize-model.ts';
import { chipInfo } from './chip-info.ts';
import type { Command } from './command.ts';
import { conformance } from './conformance.ts';
import { demo } from './demo.ts';
import { emulate } from './emulate.ts';
import { exportCommand } from './export.ts';
import { helpCommand } from './help.ts';
import { modelExport } from './model-export.ts';
import { ports } from './ports.ts';
import { report } from './report.ts';
import { run } from './run.ts';
import { runsLs, runsShow } from './runs.ts';
import { view } from './view.ts';

/** All commands. */
export const commands: readonly Command[] = [
  chipInfo,
  characterizeModel,
  demo,
  run,
  runsLs,
  runsShow,
  view,
  exportCommand,
  modelExport,
  report,
  campaignSchema,
  emulate,
  ports,
  conformance,
  bench,
  helpCommand(() => commands),
];

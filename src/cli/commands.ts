/** Every command of `rram-bench`, in the order `--help` lists them. Later issues add theirs here. */
import { bench } from './bench.ts';
import { chipInfo } from './chip-info.ts';
import type { Command } from './command.ts';
import { demo } from './demo.ts';
import { helpCommand } from './help.ts';

/** All commands. */
export const commands: readonly Command[] = [chipInfo, demo, bench, helpCommand(() => commands)];

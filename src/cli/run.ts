/**
 * `rram-bench run CAMPAIGN`: validate a campaign file, check it against the chip's limits, and
 * run it into the database — or `--resume RUN` it, or `--dry-run` it. This module holds only
 * what `--help` needs; the implementation (src/cli/run-campaign.ts) loads when the command runs.
 */
import { DEFAULT_DB_PATH } from '../store/default-db-path.ts';
import { chipOptionSpecs, chipOptionsUsage } from './chip-options.ts';
import type { Command } from './command.ts';

/** The options of `run`. */
export const options = {
  ...chipOptionSpecs,
  db: { type: 'string' },
  resume: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'no-tui': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** The usage of `run`. */
export const usage = `Usage: rram-bench run CAMPAIGN [chip options] [--db FILE] [--dry-run] [--no-tui] [--json]
       rram-bench run --resume RUN [--db FILE] [--no-tui] [--json]

Run a campaign file (YAML; see fixtures/campaigns/ and docs/data-model.md) on the chip and
store every measurement in the database, committing after each unit of work (a programmed
block of rows, an MVM batch, a map read). On a terminal the run is shown live: q or Ctrl-C
aborts it (the chip is left idle, exit 130), p pauses and resumes it between units of work.
An aborted or crashed run can be continued with --resume.

Options:
  --db FILE            the database (default ${DEFAULT_DB_PATH}, announced on stderr)
  --resume RUN         continue a crashed, aborted or failed run (uuid or a unique prefix),
                       with the campaign text and chip options stored with it; committed work
                       is not repeated
  --dry-run            validate the campaign against the chip's limits and estimate its
                       duration; nothing is sent to the chip but identify, nothing is stored
  --no-tui             plain progress lines even on a terminal (the default off a terminal)
  --json               one JSON record per line on stdout instead of progress lines
  -h, --help           show this help

${chipOptionsUsage}

Exit codes: 0 completed, 2 invalid campaign or arguments (the database is untouched),
3 chip or link failure, 4 refused by the chip's safe operating area, 130 aborted.
`;

/** The `run` command. */
export const run: Command = {
  path: ['run'],
  summary: 'run a measurement campaign (YAML) into the database; --resume, --dry-run',
  usage,
  run: async (args, ctx) => (await import('./run-campaign.ts')).runCampaign(args, ctx),
};

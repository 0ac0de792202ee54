// StrykerJS configuration (`npm run mutate`; not part of `npm test`). One group of modules is
// mutated per run, chosen by MUTATE_GROUP (scripts/mutate.mjs sets it); `--mutate` and
// `--testFiles` on the command line override the group's lists.
import { groups } from './stryker.groups.mjs';

const name = process.env.MUTATE_GROUP ?? 'limits';
const group = groups[name];
if (!group)
  throw new Error(`unknown mutation group ${name}: one of ${Object.keys(groups).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'mocha',
  // Mocha runs in Stryker's worker process: .mocharc.json's node-option does not apply there,
  // so the worker itself loads tsx.
  testRunnerNodeArgs: ['--import', 'tsx'],
  mochaOptions: { config: '.mocharc.json', ...(group.grep !== undefined && { grep: group.grep }) },
  mutate: group.mutate,
  testFiles: group.testFiles,
  // Only the tests that cover a mutant run against it.
  coverageAnalysis: 'perTest',
  // The machine is shared: one worker unless --concurrency says otherwise.
  concurrency: 1,
  // A mutant that makes a test spin is a timeout (killed) after this much beyond its normal time.
  timeoutMS: 10000,
  timeoutFactor: 3,
  reporters: ['html', 'clear-text', 'progress', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  ignorePatterns: ['bench-results', 'reports', '.scratch', '.rram-bench', '*.db', '*.db-*'],
};

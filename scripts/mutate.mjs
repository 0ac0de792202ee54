// `npm run mutate -- [group...] [stryker options...]`: mutation-test the named groups of
// stryker.groups.mjs one after the other (all when none is named); any option is passed on to
// `stryker run` (e.g. `--concurrency 2`, or `--mutate <glob> --testFiles <glob>` for one file).
import { spawnSync } from 'node:child_process';
import { groups } from '../stryker.groups.mjs';

const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('-'));
const named = firstOption === -1 ? args : args.slice(0, firstOption);
const options = firstOption === -1 ? [] : args.slice(firstOption);
for (const g of named)
  if (!(g in groups)) {
    console.error(`mutate: unknown group ${g}; groups: ${Object.keys(groups).join(', ')}`);
    process.exit(2);
  }
let failed = 0;
for (const g of named.length > 0 ? named : Object.keys(groups)) {
  console.error(`mutate: group ${g}`);
  const r = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs', ...options], {
    stdio: 'inherit',
    env: {
      ...process.env,
      MUTATE_GROUP: g,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ./scripts/mocha12-paths.cjs`,
    },
  });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);

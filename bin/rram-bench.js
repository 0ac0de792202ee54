#!/usr/bin/env node
// Entry point for the `rram-bench` command. It runs the compiled bundle in dist/ (built by
// `npm install`, `npm run build` and `npm test`; see scripts/build.js) when that is fresh, and
// otherwise the TypeScript sources through tsx's loader, so an edited source is never run stale:
// dist/build.json lists every file the bundle was built from, and one that is newer than the
// build, or gone, means stale. RRAM_BENCH_SOURCES=1 forces the sources.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

function freshBundle() {
  if (process.env.RRAM_BENCH_SOURCES === '1') return undefined;
  try {
    const build = JSON.parse(readFileSync(new URL('dist/build.json', root), 'utf8'));
    for (const file of build.inputs)
      if (statSync(new URL(file, root)).mtimeMs > build.builtAt) return undefined;
    return new URL(`dist/${build.entry}`, root).href;
  } catch {
    return undefined; // no build, or a listed file is gone
  }
}

const bundle = freshBundle();
let main;
if (bundle) ({ main } = await import(bundle));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));

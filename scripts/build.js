#!/usr/bin/env node
// Build the CLI's run path into dist/: src/cli.ts bundled by esbuild (npm packages stay
// external), one chunk per dynamic import() so a command's heavy modules load only when it
// runs. Run by `npm install` (prepare), `npm run build` and `npm test`. bin/rram-bench.js uses
// dist/ only while it is fresh: dist/build.json lists every source file the bundle was built
// from, and a file newer than the build (or gone) sends bin/ back to the TypeScript sources.
// Each source file keeps its own import.meta.url, so paths relative to it (fixtures/,
// package.json) resolve as they do from the sources.
import { build } from 'esbuild';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const tmp = join(root, `.dist-${process.pid}`);
const started = Date.now();

/** Replace `import.meta.url` with the source file's own URL. */
const keepSourceUrl = {
  name: 'keep-source-url',
  setup(b) {
    b.onLoad({ filter: /\.tsx?$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return {
        contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: args.path.endsWith('.tsx') ? 'tsx' : 'ts',
      };
    });
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: tmp,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  jsx: 'automatic',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  plugins: [keepSourceUrl],
});
const inputs = [...Object.keys(result.metafile.inputs), 'package.json'].sort();
await writeFile(
  join(tmp, 'build.json'),
  `${JSON.stringify({ builtAt: started, entry: 'cli.js', inputs }, null, 1)}\n`,
);
await writeFile(join(tmp, 'metafile.json'), JSON.stringify(result.metafile));
// Replace dist/ in one rename, so a CLI starting meanwhile sees the old build or the new one.
const old = `${out}.old-${process.pid}`;
await rename(out, old).catch(() => undefined);
await rename(tmp, out);
await rm(old, { recursive: true, force: true });
console.error(`built dist/ from ${inputs.length} files in ${Date.now() - started} ms`);

/**
 * `rram-bench --help` stays fast only while the modules every command loads at start-up import
 * nothing heavy: the bundle's entry chunk (and the chunks it imports statically) must not import
 * tfjs, ink, React, serialport, better-sqlite3, zod, yaml or rxjs; commands load those inside
 * their `run` with a dynamic import(). Built in memory with the same esbuild settings as
 * scripts/build.js.
 */
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { repoRoot } from './run-cli.ts';

const HEAVY =
  /^(@tensorflow\/|ink$|react($|\/)|serialport$|@serialport\/|better-sqlite3$|zod($|\/)|yaml$|rxjs($|\/))/;

describe('start-up imports', function () {
  this.timeout(60_000);

  it('the CLI entry chunk loads none of the heavy packages statically', async () => {
    const result = await build({
      absWorkingDir: repoRoot,
      entryPoints: { cli: 'src/cli.ts' },
      outdir: 'dist-check',
      write: false,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      jsx: 'automatic',
      metafile: true,
      logLevel: 'silent',
    });
    const outputs = result.metafile.outputs;
    const entry = Object.keys(outputs).find((k) => outputs[k]!.entryPoint === 'src/cli.ts')!;
    const seen = new Set<string>();
    const heavy = new Map<string, string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const i of outputs[file]!.imports) {
        if (i.kind !== 'import-statement') continue;
        if (i.external && HEAVY.test(i.path))
          heavy.set(i.path, Object.keys(outputs[file]!.inputs).join(', '));
        else if (!i.external) walk(i.path);
      }
    };
    walk(entry);
    assert.deepEqual(
      [...heavy].map(([pkg, from]) => `${pkg} (from ${from})`),
      [],
      'heavy packages loaded by every command',
    );
  });
});

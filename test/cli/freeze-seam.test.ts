/**
 * The crash-test freeze seam. An armed seam blocks its thread for good (no timeout can interrupt
 * it), so every case that could block runs in a child process with a deadline: a seam that arms
 * when it should not fails the test instead of hanging it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { repoRoot } from './run-cli.ts';

const seam = new URL('../../src/cli/freeze-seam.ts', import.meta.url).href;

/** Run `body` (ESM, with `freezeSeam` imported) in a child Node with tsx, killed after `ms`. */
function child(body: string, ms: number) {
  const code = `import { freezeSeam } from ${JSON.stringify(seam)};\n${body}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: ms,
    killSignal: 'SIGKILL',
  });
}

describe('crash-test freeze seam', function () {
  this.timeout(90_000);

  it('does nothing unless RRAM_BENCH_FREEZE_AFTER_UNITS is a positive integer', () => {
    const r = child(
      `for (const v of [undefined, '0', '-2', '1.5', 'x', '']) {
        const f = freezeSeam(v === undefined ? {} : { RRAM_BENCH_FREEZE_AFTER_UNITS: v });
        let returned = 0;
        for (let i = 0; i < 5; i++) if (f('[1/2] program: ' + (i + 1) + '/8 committed') === undefined) returned++;
        console.log(String(v) + ' ' + returned);
      }`,
      30_000,
    );
    assert.equal(r.signal, null, `the child blocked: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      'undefined 5',
      '0 5',
      '-2 5',
      '1.5 5',
      'x 5',
      ' 5',
    ]);
  });

  it('armed with N, blocks at the N-th committed line and not before', async () => {
    const code = `import { freezeSeam } from ${JSON.stringify(seam)};
      const f = freezeSeam({ RRAM_BENCH_FREEZE_AFTER_UNITS: '2' });
      f('[1/2] program: 1/8 committed');
      f('run 12: demo');
      console.log('after 1');
      f('[1/2] program: 2/8 committed');
      console.log('after 2');`;
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: repoRoot,
    });
    let out = '';
    // A seam that fails to block prints 'after 2' and exits within milliseconds of 'after 1';
    // one that blocks is still silent GRACE_MS later (the only deadline here: it detects a hang).
    const GRACE_MS = 5000;
    const outcome = await new Promise<string>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      p.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('after 1') && timer === undefined)
          timer = setTimeout(() => resolve('still blocked'), GRACE_MS);
      });
      p.on('exit', (status) => {
        clearTimeout(timer);
        resolve(`exited ${status}`);
      });
    });
    p.kill('SIGKILL');
    assert.equal(outcome, 'still blocked', `the seam did not block: ${out}`);
    assert.equal(out, 'after 1\n');
  });

  it('only counts committed-unit lines (an armed seam would block this test until its timeout)', async () => {
    const { freezeSeam } = await import('../../src/cli/freeze-seam.ts');
    const f = freezeSeam({ RRAM_BENCH_FREEZE_AFTER_UNITS: '1' });
    let returned = 0;
    for (const line of ['run 1234: demo', '[1/2] identify  model x', '[2/2] read-map  done'])
      returned += f(line) === undefined ? 1 : 0;
    assert.equal(returned, 3);
  });
});

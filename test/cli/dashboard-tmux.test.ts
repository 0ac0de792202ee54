/**
 * The dashboard in a real terminal: tmux gives `rram-bench run` an 80×24 pseudo-terminal; the
 * test reads the screen with `capture-pane` and types keys with `send-keys`. It starts a short
 * campaign (the demo's form and program, then a retention read after a 45 s wall-clock wait),
 * waits for the dashboard with its heat-map and ETA, pauses, resumes, aborts (a, y) during the
 * wait, and then resumes the run to completion with --resume. The wait is what keeps the run
 * going while the keys are typed: the demo campaign alone finishes in ~4 s on an idle machine,
 * before a poll of the screen could see every state. Pending, with the reason, when tmux is
 * not installed (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runCli } from './run-cli.ts';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

describe('dashboard under tmux (80×24)', function () {
  this.timeout(180_000);
  const session = `rram-i9-${process.pid}`;
  let dir = '';

  before(function () {
    if (!hasTmux) {
      this.test!.title += ' (pending: tmux is not installed; .ci/run installs it)';
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'rram-tmux-'));
  });

  after(() => {
    if (hasTmux) spawnSync('tmux', ['kill-session', '-t', session]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const screen = () =>
    execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });
  const keys = (...k: string[]) => execFileSync('tmux', ['send-keys', '-t', session, ...k]);

  /** Poll the screen (every 100 ms, up to `ms`) until `re` matches; fails with the screen. */
  async function waitFor(re: RegExp, what: string, ms = 60_000): Promise<string> {
    const deadline = Date.now() + ms;
    let s = '';
    while (Date.now() < deadline) {
      s = screen();
      if (re.test(s)) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`${what} never appeared; the screen:\n${s}`);
  }

  it('runs a campaign with a live dashboard, pauses, resumes, aborts, and resumes to completion', async () => {
    const db = join(dir, 'runs.db');
    const campaign = join(dir, 'dashboard.yaml');
    writeFileSync(campaign, CAMPAIGN);
    // ink draws only the last frame when CI is set (CI runs this test with CI=true): unset it for
    // the terminal's command, as on a bench.
    const cmd = `cd '${repoRoot}' && env -u CI node bin/rram-bench.js run '${campaign}' --emulator --db '${db}'; echo EXIT=$?; sleep 600`;
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '80', '-y', '24', cmd], {
      env: { ...process.env, TERM: 'xterm-256color' },
    });
    // The first frame comes before the chip is open; p there pauses at the first checkpoint.
    await waitFor(/ETA/, 'the header with an ETA');
    keys('p');
    await waitFor(/paused {2}elapsed/, 'the paused state');
    keys('p');
    await waitFor(/resumed/, 'the resumed line');
    // Running again: the heat-map (half blocks, legend in µS) fills in as the region is formed
    // and programmed, and the ETA is a time; the run then sits in the retention wait.
    const s = await waitFor(/\d+ µS .+ \d+ µS/, 'the heat-map legend');
    assert.match(s, /[▀▄]/, `no half-block map on screen:\n${s}`);
    assert.match(s, /ETA ≈ \d+:\d\d/, `no ETA on screen:\n${s}`);
    assert.doesNotMatch(s, /paused {2}elapsed|pausing… {2}elapsed/);
    for (const line of s.split('\n'))
      assert.ok(line.length <= 80, `a line wider than the terminal: ${line}`);

    keys('a');
    await waitFor(/abort the run\? y aborts/, 'the abort confirmation');
    keys('y');
    const end = await waitFor(/EXIT=\d+/, 'the end of the command');
    assert.match(end, /EXIT=130/, `not exit 130:\n${end}`);
    assert.match(end, /aborted from the terminal \(a\)/);

    const ls = await runCli('runs', 'ls', '--db', db, '--json');
    const runs = JSON.parse(ls.stdout) as { uuid: string; status: string }[];
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.status, 'aborted');
    const resumed = await runCli('run', '--resume', runs[0]!.uuid, '--db', db, '--no-tui');
    assert.equal(resumed.code, 0, resumed.stderr);
    const after = JSON.parse((await runCli('runs', 'ls', '--db', db, '--json')).stdout) as {
      status: string;
    }[];
    assert.equal(after[0]!.status, 'completed');
  });
});

/** The demo's region formed and programmed, then read at 0 s and after a 45 s wall-clock wait. */
const CAMPAIGN = `name: dashboard
seed: 1
variables:
  region: { row: 0, col: 0, rows: 32, cols: 8 }
steps:
  - kind: identify
  - kind: form
    region: \${region}
  - kind: program
    region: \${region}
    pattern: { kind: prototypes, classes: 8, seed: 7 }
    tolerance: 1
  - kind: retention
    region: \${region}
    times: [0, 45]
`;

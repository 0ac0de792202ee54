import assert from 'node:assert/strict';
import { runCli } from './run-cli.ts';

/** A usage error: exit 2, nothing on stdout, the USAGE code and `names` on stderr. */
function assertUsage(r: { code: number; stdout: string; stderr: string }, names: RegExp): void {
  assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^rram-bench: error \[USAGE\]: /);
  assert.match(r.stderr, names);
}

describe('rram-bench usage errors (exit 2)', () => {
  it('an unknown command is named', async () => {
    assertUsage(await runCli('frobnicate'), /unknown command 'frobnicate'/);
  });

  it('an unknown top-level option is named', async () => {
    assertUsage(await runCli('--frobnicate'), /unknown option --frobnicate/);
  });

  it('a group without its subcommand, or with an unknown one, says so', async () => {
    assertUsage(await runCli('chip'), /'chip' needs a subcommand[\s\S]*chip info/);
    assertUsage(await runCli('chip', 'frob'), /unknown command 'chip frob'/);
  });

  for (const path of [['chip', 'info'], ['demo'], ['bench'], ['help']]) {
    it(`${path.join(' ')}: an unknown option is named`, async () => {
      assertUsage(await runCli(...path, '--bogus-flag'), /unknown option --bogus-flag/);
    });
  }

  it('an unexpected positional argument is named', async () => {
    assertUsage(await runCli('chip', 'info', 'extra'), /unexpected argument 'extra'/);
  });

  it('an option missing its value is named', async () => {
    assertUsage(await runCli('chip', 'info', '--profile'), /--profile/);
  });

  const badValues: [string[], RegExp][] = [
    [['--seed', 'x'], /--seed must be a number, got 'x'/],
    [['--seed', '1.5'], /--seed must be an integer/],
    [['--seed=-1'], /--seed must be at least 0/],
    [['--precision', '9'], /--precision must be at most 8/],
    [['--precision', '0'], /--precision must be at least 1/],
    [['--clock', '0'], /--clock must be greater than 0/],
    [['--activity', '1.5'], /--activity must be at most 1/],
    [['--port', '/dev/x', '--baud', 'fast'], /--baud must be a number/],
  ];
  for (const [args, message] of badValues) {
    it(`chip info ${args.join(' ')} is refused before the chip is opened`, async () => {
      assertUsage(await runCli('chip', 'info', ...args), message);
    });
  }

  it('--port with emulator options is refused', async () => {
    assertUsage(
      await runCli('chip', 'info', '--port', '/dev/x', '--emulator'),
      /--port and --emulator/,
    );
    assertUsage(
      await runCli('chip', 'info', '--port', '/dev/x', '--profile', 'ideal'),
      /--profile applies to the emulator only/,
    );
    assertUsage(await runCli('chip', 'info', '--baud', '9600'), /--baud applies to --port only/);
  });

  it('help for an unknown command is a usage error', async () => {
    assertUsage(await runCli('help', 'frob'), /unknown command 'frob'/);
  });
});

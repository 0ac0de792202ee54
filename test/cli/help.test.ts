import assert from 'node:assert/strict';
import { runCli } from './run-cli.ts';

describe('rram-bench help', () => {
  for (const args of [['--help'], ['-h'], ['help']]) {
    it(`${args.join(' ')} prints the command list and exits 0`, async () => {
      const r = await runCli(...args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: rram-bench <command>/);
      for (const cmd of ['chip info', 'demo', 'bench', 'help'])
        assert.match(r.stdout, new RegExp(`\\n  ${cmd} `));
      assert.match(r.stdout, /130 aborted/);
    });
  }

  it('without a command prints usage on stderr and exits 2', async () => {
    const r = await runCli();
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Usage: rram-bench <command>/);
  });

  const commands: [string[], RegExp][] = [
    [
      ['chip', 'info'],
      /Usage: rram-bench chip info .*--json.*--precision B.*--clock HZ.*--activity A/,
    ],
    [['demo'], /Usage: rram-bench demo \[chip options\] \[--json\]/],
    [['bench'], /--only PREFIX.*\n.*--out FILE|--only PREFIX[\s\S]*--out FILE/],
    [['help'], /Usage: rram-bench help \[command\]/],
  ];
  for (const [path, usage] of commands) {
    for (const flag of ['--help', '-h']) {
      it(`${path.join(' ')} ${flag} prints its usage and exits 0`, async () => {
        const r = await runCli(...path, flag);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, usage);
        assert.equal(r.stderr, '');
      });
    }
  }

  it('chip-facing commands document the shared chip options', async () => {
    for (const path of [['chip', 'info'], ['demo']]) {
      const r = await runCli(...path, '--help');
      for (const opt of ['--emulator', '--profile', '--seed', '--chip-state', '--port', '--baud'])
        assert.ok(r.stdout.includes(opt), `${path.join(' ')} --help lacks ${opt}`);
    }
  });

  it('help <command> prints that command’s usage', async () => {
    const r = await runCli('help', 'chip', 'info');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: rram-bench chip info/);
  });

  it('chip --help lists the chip subcommands', async () => {
    const r = await runCli('chip', '--help');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /chip info/);
  });
});

/**
 * `rram-bench`: find the command named by the leading words of argv, run it, and turn any
 * error into one line on stderr and an exit code (src/cli/exit-codes.ts). bin/rram-bench.js
 * calls `main` and sets process.exitCode from it.
 */
import { BenchError } from '../drivers/driver.ts';
import type { CliContext, Command } from './cli/command.ts';
import { commands } from './cli/commands.ts';
import { ExitCode } from './cli/exit-codes.ts';
import { groupUsage, topUsage } from './cli/help.ts';
import { reportError } from './cli/report-error.ts';

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], context: Partial<CliContext> = {}): Promise<number> {
  const stdout = context.stdout ?? process.stdout;
  const stderr = context.stderr ?? process.stderr;
  // With no signal given we own the process: Ctrl-C stops the command, a second one exits.
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(ExitCode.ABORTED);
    stderr.write(
      'rram-bench: interrupted: stopping and leaving the chip idle (Ctrl-C again to force)\n',
    );
    abort.abort();
  };
  if (!context.signal) process.on('SIGINT', onSigint);
  const ctx: CliContext = { stdout, stderr, signal: context.signal ?? abort.signal };
  try {
    return await dispatch(argv, ctx);
  } catch (e) {
    return reportError(e, stderr);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function dispatch(argv: string[], ctx: CliContext): Promise<number> {
  const [first, second] = argv;
  if (first === undefined) {
    ctx.stderr.write(topUsage(commands));
    return ExitCode.USAGE;
  }
  if (first === '--help' || first === '-h') {
    ctx.stdout.write(topUsage(commands));
    return ExitCode.OK;
  }
  if (first.startsWith('-'))
    throw new BenchError('USAGE', `unknown option ${first} (see 'rram-bench --help')`, {
      option: first,
    });
  const command = find(first, second);
  if (command) return command.run(argv.slice(command.path.length), ctx);
  if (commands.some((c) => c.path.length > 1 && c.path[0] === first)) {
    // A group such as `chip`: `--help` lists its subcommands, anything else is a usage error.
    if (second === '--help' || second === '-h') {
      ctx.stdout.write(groupUsage(first, commands));
      return ExitCode.OK;
    }
    const what =
      second === undefined
        ? `'${first}' needs a subcommand`
        : `unknown command '${first} ${second}'`;
    throw new BenchError('USAGE', `${what}\n${groupUsage(first, commands).trimEnd()}`, {
      command: argv.slice(0, 2),
    });
  }
  throw new BenchError('USAGE', `unknown command '${first}' (see 'rram-bench --help')`, {
    command: first,
  });
}

function find(first: string, second: string | undefined): Command | undefined {
  return commands.find(
    (c) =>
      c.path[0] === first && (c.path.length === 1 || (c.path.length === 2 && c.path[1] === second)),
  );
}

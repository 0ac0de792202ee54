/** `rram-bench help [COMMAND]` and the top-level usage text. */
import { BenchError } from '../../drivers/driver.ts';
import type { Command } from './command.ts';
import { parseCommandArgs } from './parse-command-args.ts';

/** The top-level usage: the commands, the exit codes. */
export function topUsage(commands: readonly Command[]): string {
  const names = commands.map((c) => c.path.join(' '));
  const width = Math.max(...names.map((n) => n.length));
  const list = commands.map((c, i) => `  ${names[i]!.padEnd(width)}  ${c.summary}`).join('\n');
  return `Usage: rram-bench <command> [options]

Test-bench controller for RRAM compute-in-memory chips, on a real board or the emulated
256×256 HfO2 macro.

Commands:
${list}

Run 'rram-bench <command> --help' for a command's options.

Exit codes: 0 ok, 1 unexpected failure, 2 usage or invalid input, 3 chip or link failure,
4 refused by the chip's safety limits, 130 aborted.
`;
}

/** The usage of a command group such as `chip`: its subcommands. */
export function groupUsage(group: string, commands: readonly Command[]): string {
  const members = commands.filter((c) => c.path[0] === group && c.path.length > 1);
  const list = members.map((c) => `  ${c.path.join(' ')}  ${c.summary}`).join('\n');
  return `Usage: rram-bench ${group} <subcommand> [options]\n\nSubcommands:\n${list}\n`;
}

/** The `help` command; it needs the command list, so it is made from it. */
export function helpCommand(commands: () => readonly Command[]): Command {
  const self: Command = {
    path: ['help'],
    summary: "show help: 'rram-bench help [command]'",
    usage: `Usage: rram-bench help [command]\n\nShow the usage of rram-bench, or of one command (e.g. 'rram-bench help chip info').\n`,
    run(args, ctx) {
      const list = commands();
      const { values, positionals } = parseCommandArgs('help', args, {}, true);
      if (values.help) {
        ctx.stdout.write(self.usage);
      } else if (positionals.length === 0) {
        ctx.stdout.write(topUsage(list));
      } else {
        const wanted = positionals.join(' ');
        const cmd = list.find((c) => c.path.join(' ') === wanted);
        if (cmd) ctx.stdout.write(cmd.usage);
        else if (list.some((c) => c.path[0] === wanted && c.path.length > 1))
          ctx.stdout.write(groupUsage(wanted, list));
        else
          throw new BenchError('USAGE', `unknown command '${wanted}' (see 'rram-bench --help')`, {
            command: wanted,
          });
      }
      return Promise.resolve(0);
    },
  };
  return self;
}

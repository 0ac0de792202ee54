/**
 * `node:util` parseArgs in strict mode, with `--help/-h` added and its errors turned into
 * USAGE BenchErrors that name the offending option and the command.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { BenchError } from '../../drivers/driver.ts';

/** Option specs as parseArgs takes them. */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

const helpOption = { help: { type: 'boolean', short: 'h' } } as const satisfies OptionSpecs;

/** Parse `args` for `command` (e.g. `chip info`); positionals are refused unless allowed. */
export function parseCommandArgs<O extends OptionSpecs>(
  command: string,
  args: string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args,
      options: { ...options, ...helpOption },
      strict: true,
      allowPositionals,
    });
  } catch (e) {
    throw usageError(command, e);
  }
}

function usageError(command: string, e: unknown): BenchError {
  const err = e as { code?: string; message?: string };
  const quoted = /'([^']+)'/.exec(err.message ?? '')?.[1];
  const hint = `(see 'rram-bench ${command} --help')`;
  let message: string;
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      message = `unknown option ${quoted ?? '?'} for '${command}' ${hint}`;
      break;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      message = `unexpected argument '${quoted ?? '?'}' for '${command}' ${hint}`;
      break;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      message = `${command}: ${err.message ?? 'invalid option value'} ${hint}`;
      break;
    default:
      throw e;
  }
  return new BenchError('USAGE', message, { command, option: quoted });
}

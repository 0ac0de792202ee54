/**
 * `rram-bench conformance`: check a test board against docs/protocol.md, clause by clause, at
 * the wire level. `--emulator` runs the suite against the reference firmware on a pseudo-terminal
 * (what CI does, and what a firmware author compares a board with).
 */
import type { ConformanceReport, ConformanceResult } from '../../drivers/factory.ts';
import { BenchError } from '../../drivers/driver.ts';
import type { CliContext, Command } from './command.ts';
import { DEFAULT_PROFILE } from './chip-options.ts';
import { ExitCode } from './exit-codes.ts';
import { numberOption } from './number-option.ts';
import { parseCommandArgs } from './parse-command-args.ts';

const options = {
  port: { type: 'string' },
  baud: { type: 'string' },
  emulator: { type: 'boolean' },
  profile: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  only: { type: 'string', multiple: true },
  cell: { type: 'string' },
  timeout: { type: 'string' },
} as const;

const usage = `Usage: rram-bench conformance (--port PATH [--baud B] | --emulator) [options]

Check a test board against the wire protocol (docs/protocol.md), clause by clause: framing,
CRCs, bad and overlong lines, error codes, every verb, ordering, the reply cache, sessions,
limits and the handshake. Prints one line per check (PASS, FAIL or SKIP with its clause) and
a summary.

Safe on a real board: it forms at most one cell (the test cell, only if it is virgin), pulses
only that cell and only well inside the board's own LIM? limits, sends out-of-limit requests
only below a minimum, and restores the readout configuration at the end. The checks that
change the chip are listed in the summary.

Options:
  --port PATH          the board's serial port, e.g. /dev/ttyUSB0
  --baud B             serial baud rate (default 921600)
  --emulator           run against the reference firmware on a pseudo-terminal (needs socat)
  --profile NAME|FILE  --emulator: emulator profile (default ${DEFAULT_PROFILE})
  --seed N             --emulator: emulator seed (default 1)
  --only CLAUSE        only the checks whose clause starts with CLAUSE, e.g. 5.4 or §2
                       (repeatable; the handshake always runs)
  --cell ROW,COL       the test cell (default: the last cell of the array)
  --timeout MS         reply budget per request, on top of its wire time (default 3000)
  --json               print one JSON object: { port, idn, passed, failed, skipped, results }
  -h, --help           show this help

Exit status: 0 no check failed (skips allowed); 1 at least one check failed; 2 usage;
3 the port cannot be opened (IO) or the board never answers *IDN? (TIMEOUT) or answers
only garbage (PROTOCOL); 130 interrupted.
`;

/** The `conformance` command. */
export const conformance: Command = {
  path: ['conformance'],
  summary: "check a board's wire protocol, clause by clause",
  usage,
  run,
};

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs('conformance', args, options);
  if (values.help) {
    ctx.stdout.write(usage);
    return ExitCode.OK;
  }
  const baud = numberOption('--baud', values.baud, { integer: true, min: 1 });
  const seed = numberOption('--seed', values.seed, { integer: true, min: 0, max: 0xffffffff });
  const timeout = numberOption('--timeout', values.timeout, { min: 1 });
  const cell = values.cell === undefined ? undefined : parseCell(values.cell);
  if ((values.port === undefined) === !values.emulator)
    throw usageError('give exactly one of --port PATH and --emulator');
  if (values.emulator && baud !== undefined) throw usageError('--baud applies to --port only');
  if (values.port !== undefined && (seed !== undefined || values.profile !== undefined))
    throw usageError(`--${seed !== undefined ? 'seed' : 'profile'} applies to --emulator only`);

  // In JSON mode the live lines would spoil stdout: they go to stderr instead.
  const live = values.json ? ctx.stderr : ctx.stdout;
  const suite = {
    ...(baud !== undefined && { baudRate: baud }),
    ...(values.only !== undefined && { only: values.only }),
    ...(cell !== undefined && { cell }),
    ...(timeout !== undefined && { replyTimeoutMs: timeout }),
    signal: ctx.signal,
    onResult: (r: ConformanceResult) => live.write(formatResult(r)),
  };
  let report: ConformanceReport;
  const { runConformance, serveEmulator } = await import('../../drivers/factory.ts');
  if (values.emulator) {
    const board = await serveEmulator({
      transport: 'pty',
      clock: 'virtual',
      profile: values.profile ?? DEFAULT_PROFILE,
      ...(seed !== undefined && { seed }),
    });
    ctx.stderr.write(`reference firmware (emulated ${board.info.model}) on ${board.path}\n`);
    try {
      report = await runConformance(board.path!, suite);
    } finally {
      await board.close();
    }
  } else {
    report = await runConformance(values.port!, suite);
  }
  if (values.json) ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else ctx.stdout.write(formatSummary(report));
  return report.failed > 0 ? ExitCode.FAILURE : ExitCode.OK;
}

/** `PASS §5.4 title`, and the detail indented below a failure or a skip. */
export function formatResult(r: ConformanceResult): string {
  const head = `${r.status.toUpperCase()} ${r.clause} ${r.title}\n`;
  return r.status === 'pass' ? head : `${head}       ${r.detail}\n`;
}

/** The closing lines: counts, the board, and which checks changed the chip. */
export function formatSummary(report: ConformanceReport): string {
  const lines = [
    '',
    `${report.results.length} checks on ${report.port}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`,
  ];
  if (report.idn !== undefined) lines.push(`board: ${report.idn}`);
  const changed = report.results.filter((r) => r.changesState && r.status !== 'skip');
  if (changed.length) {
    lines.push(
      'these checks changed the chip (the test cell formed if virgin, and pulsed; settings restored):',
    );
    for (const r of changed) lines.push(`  ${r.clause} ${r.title}`);
  }
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  lines.push(report.failed > 0 ? 'NOT CONFORMING' : 'conforming');
  return `${lines.join('\n')}\n`;
}

function parseCell(text: string): { row: number; col: number } {
  const m = /^(\d+),(\d+)$/.exec(text.trim());
  if (!m) throw usageError(`--cell must be ROW,COL (e.g. 255,255), got '${text}'`);
  return { row: Number(m[1]), col: Number(m[2]) };
}

function usageError(message: string): BenchError {
  return new BenchError('USAGE', message);
}

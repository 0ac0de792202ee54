/**
 * What a CLI command is. Commands get their output streams and an abort signal injected, so the
 * same command runs in a terminal, under a test, or (later) behind the terminal UI.
 */

/** A sink for text; `process.stdout` and `process.stderr` are ones. */
export interface TextSink {
  write(text: string): unknown;
  /** True when the sink is a terminal. */
  isTTY?: boolean;
}

/** What every command runs with. */
export interface CliContext {
  /** Results go here. */
  stdout: TextSink;
  /** Announcements, warnings and errors go here. */
  stderr: TextSink;
  /** Aborted on Ctrl-C: long commands stop, leave the chip idle, and exit 130. */
  signal: AbortSignal;
}

/** A command of `rram-bench`. */
export interface Command {
  /** Words that select it, e.g. `['chip', 'info']`. */
  path: readonly string[];
  /** One line for the command list. */
  summary: string;
  /** Full `--help` text. */
  usage: string;
  /** Run with the arguments after the command words; resolves to the exit code. */
  run(args: string[], ctx: CliContext): Promise<number>;
}

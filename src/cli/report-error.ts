/** How a failed command ends: one line naming the error code on stderr, and the exit code. */
import { isBenchError } from '../../drivers/driver.ts';
import type { TextSink } from './command.ts';
import { ExitCode, exitCodeFor } from './exit-codes.ts';

/** Print `rram-bench: error [CODE]: message` (plus a stack for unexpected errors); return the exit code. */
export function reportError(e: unknown, stderr: TextSink): number {
  if (isBenchError(e)) {
    stderr.write(`rram-bench: error [${e.code}]: ${e.message}\n`);
    return exitCodeFor(e.code);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  stderr.write(`rram-bench: error [UNEXPECTED]: ${err.message}\n${err.stack ?? ''}\n`);
  return ExitCode.FAILURE;
}

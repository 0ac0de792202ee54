/**
 * Process exit codes of `rram-bench`, in one place so scripts and CI can branch on them.
 *
 * | code | meaning                                                                     |
 * |------|-----------------------------------------------------------------------------|
 * | 0    | success                                                                     |
 * | 1    | unexpected failure (a bug: the message carries a stack trace)               |
 * | 2    | usage or invalid input: USAGE, INVALID_ARGUMENT, PROFILE_INVALID, STATE_INVALID |
 * | 3    | chip or link failure: TIMEOUT, DISCONNECTED, PROTOCOL, DEVICE, IO, CLOSED, UNSUPPORTED |
 * | 4    | refused by the chip's safe operating area: LIMIT                            |
 * | 130  | aborted: ABORTED, or Ctrl-C (SIGINT)                                        |
 */
import type { BenchErrorCode } from '../../drivers/driver.ts';

/** The exit codes, by name. */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** Unexpected failure (not a BenchError). */
  FAILURE: 1,
  /** Bad command line or invalid input (arguments, profiles, state files). */
  USAGE: 2,
  /** The chip or the link to it failed. */
  CHIP: 3,
  /** A command was refused by the chip's safety limits. */
  LIMIT: 4,
  /** Aborted by the user (Ctrl-C) or cancelled. */
  ABORTED: 130,
} as const;

/** One of the exit codes. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Exit code per BenchError code; a Record so a new error code cannot be forgotten here. */
const byErrorCode: Record<BenchErrorCode, ExitCode> = {
  USAGE: ExitCode.USAGE,
  INVALID_ARGUMENT: ExitCode.USAGE,
  PROFILE_INVALID: ExitCode.USAGE,
  STATE_INVALID: ExitCode.USAGE,
  TIMEOUT: ExitCode.CHIP,
  DISCONNECTED: ExitCode.CHIP,
  PROTOCOL: ExitCode.CHIP,
  DEVICE: ExitCode.CHIP,
  IO: ExitCode.CHIP,
  CLOSED: ExitCode.CHIP,
  UNSUPPORTED: ExitCode.CHIP,
  LIMIT: ExitCode.LIMIT,
  ABORTED: ExitCode.ABORTED,
};

/** The exit code for a BenchError code. */
export function exitCodeFor(code: BenchErrorCode): ExitCode {
  return byErrorCode[code];
}

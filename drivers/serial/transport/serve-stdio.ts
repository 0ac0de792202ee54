/**
 * The firmware emulator on the process's stdin/stdout, for `rram-bench emulate --stdio`: a
 * person types `*IDN?` at the terminal, or another program talks to it through a pipe (e.g.
 * `socat EXEC:'rram-bench emulate --stdio' PTY,link=/tmp/ttyRRAM`). Nothing else may write to
 * stdout while it serves: diagnostics go to stderr.
 */
import { Duplex } from 'node:stream';
import type { EmulatorDriver } from '../../emulator/emulator-driver.ts';
import { Firmware, type FirmwareOptions } from '../board/firmware.ts';

/** A firmware on stdio; `done` resolves when stdin ends (the other side hung up). */
export interface StdioServer {
  readonly firmware: Firmware;
  readonly done: Promise<void>;
  /** Stop serving (stdin is paused, stdout left open). The chip is not closed. */
  close(): Promise<void>;
}

/** Serve `chip`'s firmware on `input`/`output` (default process.stdin / process.stdout). */
export function serveStdio(
  chip: EmulatorDriver,
  options: FirmwareOptions = {},
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): StdioServer {
  const stream = Duplex.from({ readable: input, writable: output });
  const firmware = new Firmware(chip, options, stream);
  const done = new Promise<void>((resolve) => firmware.once('detach', () => resolve()));
  return {
    firmware,
    done,
    async close() {
      await firmware.close();
      input.pause();
    },
  };
}

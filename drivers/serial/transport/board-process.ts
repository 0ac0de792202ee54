/**
 * `rram-bench emulate --pty …` in a child process, for benchmarks and tools that need the board
 * in another process (the host then goes through the operating system's serial layer).
 *
 * The child's stderr is captured, never inherited: stopping it is a Ctrl-C (SIGINT, so that it
 * idles the chip and stops socat), and its "rram-bench: interrupted …" line must not appear in
 * the parent's output as if the user had pressed Ctrl-C there (issue 11, bug 7).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchError } from '../../driver.ts';

/** A board served by a child `rram-bench emulate --pty`. */
export interface BoardProcess {
  /** The path the host opens. */
  readonly path: string;
  /** Ctrl-C the child and wait for it to exit; resolves with its exit code and its stderr. */
  stop(): Promise<{ code: number | null; stderr: string }>;
}

/** Start `rram-bench emulate --pty <args…>` and wait for the path it serves on. */
export async function startBoardProcess(args: readonly string[]): Promise<BoardProcess> {
  const bin = fileURLToPath(new URL('../../../bin/rram-bench.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'emulate', '--pty', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const path = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = / on (\S+)\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) =>
      reject(new BenchError('IO', `rram-bench emulate exited with ${code}: ${stderr.trim()}`)),
    );
  });
  return {
    path,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const code = await exited;
      return { code, stderr };
    },
  };
}

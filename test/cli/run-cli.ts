/** Spawn `node bin/rram-bench.js …` (or another script) and collect its exit code and output. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** What a finished process left behind. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `node <nodeArgs…> <args…>` in the repo root; never rejects on a non-zero exit. The process
 * is killed after `timeoutMs` (default 60 s; a hostile-link run needs minutes).
 */
export async function runNode(args: string[], timeoutMs = 60_000): Promise<Ran> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, args, {
      cwd: repoRoot,
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** Run the `rram-bench` command with `args`. */
export function runCli(...args: string[]): Promise<Ran> {
  return runNode(['bin/rram-bench.js', ...args]);
}

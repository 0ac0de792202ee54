/**
 * A seam for crash tests. With `RRAM_BENCH_FREEZE_AFTER_UNITS=N` in the environment, `run` stops
 * dead right after it has reported its N-th committed unit: the main thread blocks (no timer,
 * no I/O, no further unit), so a test can `kill -9` the process at an exact point of a campaign
 * instead of racing it. Unset in normal use, when it does nothing.
 */

/** A function to call with every progress line `run` prints. */
export function freezeSeam(env: NodeJS.ProcessEnv = process.env): (line: string) => void {
  const raw = env.RRAM_BENCH_FREEZE_AFTER_UNITS;
  const after = raw === undefined ? NaN : Number(raw);
  if (!Number.isInteger(after) || after < 1) return () => undefined;
  let seen = 0;
  return (line) => {
    if (!/ committed$/.test(line) || ++seen !== after) return;
    // Block this thread for good; stdout to a pipe is synchronous, so the line is already out.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  };
}

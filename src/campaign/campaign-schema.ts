/**
 * The campaign file format, defined once with zod. The same definitions give two schemas:
 * `raw`, where any value may be a `${variable}` reference (what a file holds; also the JSON
 * Schema for editor completion), and `concrete`, what every step is after variables are
 * substituted and loops and sweeps unrolled (what the engine runs).
 */
import { z } from 'zod';

/** A whole-value variable reference, `${name}`. */
export const VAR_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

type Wrap = <T extends z.ZodType>(schema: T) => T;

function build(v: Wrap) {
  const int = (min: number, max?: number) => {
    const s = z.number().int().min(min);
    return max === undefined ? s : s.max(max);
  };
  const positive = z.number().positive();
  const region = v(
    z
      .strictObject({
        row: v(int(0)).describe('first word line (row)'),
        col: v(int(0)).describe('first bit line (column)'),
        rows: v(int(1)).describe('number of rows'),
        cols: v(int(1)).describe('number of columns'),
      })
      .describe('a rectangle of cells'),
  );
  const readoutFields = {
    precisionBits: v(int(1, 8)).optional().describe('activation precision (bits, 1–8)'),
    readV: v(positive).optional().describe('Vref, the bit-line read voltage (V)'),
    vthV: v(positive).optional().describe('Vth, the IFC capacitor threshold (V)'),
    mode: v(z.enum(['COUNT', 'TTFS']))
      .optional()
      .describe('readout mode'),
  };
  const readout = v(z.strictObject(readoutFields).describe('readout settings for this step'));
  const name = z
    .string()
    .min(1)
    .optional()
    .describe('label shown in progress and stored with the step');
  const values = z
    .array(v(z.union([z.number(), z.string()])))
    .min(1)
    .max(10_000)
    .describe('the values, in order');
  const range = v(
    z
      .strictObject({
        from: v(z.number()),
        to: v(z.number()),
        step: v(z.number().refine((x) => x !== 0, 'step must not be 0')),
      })
      .describe('from, to (inclusive), step'),
  );
  const pattern = v(
    z.discriminatedUnion(
      'kind',
      [
        z.strictObject({ kind: z.literal('uniform'), microS: v(positive) }),
        z.strictObject({ kind: z.literal('gradient'), min: v(positive), max: v(positive) }),
        z.strictObject({ kind: z.literal('checkerboard'), low: v(positive), high: v(positive) }),
        z.strictObject({
          kind: z.literal('random'),
          min: v(positive),
          max: v(positive),
          seed: v(int(0)).optional(),
        }),
        z.strictObject({
          kind: z.literal('prototypes'),
          classes: v(int(2, 256)),
          seed: v(int(0)).optional(),
          low: v(positive).optional(),
          high: v(positive).optional(),
        }),
      ],
      {
        error: () =>
          'pattern kind must be one of uniform, gradient, checkerboard, random, prototypes',
      },
    ),
  );
  const dataset = v(
    z.discriminatedUnion(
      'kind',
      [
        z.strictObject({
          kind: z.literal('synthetic'),
          samples: v(int(1, 1_000_000)),
          classes: v(int(2, 256)),
          seed: v(int(0)).optional(),
          flip: v(z.number().min(0).max(0.5))
            .default(0.1)
            .describe('fraction of inputs flipped per sample'),
        }),
      ],
      { error: () => "dataset kind must be 'synthetic' (MNIST arrives with a later issue)" },
    ),
  );
  const stage = v(
    z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9_.-]*$/,
        'a stage is a name like software, noiseAware, finetune.1',
      ),
  );
  const loopData = v(
    z.discriminatedUnion(
      'kind',
      [
        z.strictObject({
          kind: z.literal('mnist'),
          test: v(int(1, 9999)).default(2000).describe('test-split size (samples)'),
          train: v(int(1)).optional().describe('use only this many training samples'),
          seed: v(int(0)).default(1).describe('seed of the stratified split'),
        }),
        z.strictObject({
          kind: z.literal('npy'),
          inputs: v(z.string().regex(/\.npy$/i, 'inputs must name a .npy file')).describe(
            'samples × features in [0, 1]',
          ),
          labels: v(z.string().regex(/\.npy$/i, 'labels must name a .npy file')),
          test: v(int(1)).optional().describe('test-split size (default 20%)'),
          train: v(int(1)).optional(),
          seed: v(int(0)).default(1),
        }),
      ],
      { error: () => "dataset kind must be 'mnist' or 'npy'" },
    ),
  );
  const mnist = { kind: 'mnist' as const, test: 2000, seed: 1 };
  const leaf = {
    identify: z.strictObject({ kind: z.literal('identify'), name }),
    configure: z.strictObject({ kind: z.literal('configure'), name, ...readoutFields }),
    form: z.strictObject({
      kind: z.literal('form'),
      name,
      region,
      startV: v(positive).optional(),
      stepV: v(positive).optional(),
      stopV: v(positive).optional(),
      gateV: v(positive).optional(),
      widthS: v(positive).optional(),
    }),
    characterize: z.strictObject({
      kind: z.literal('characterize'),
      name,
      region,
      reads: v(int(2, 1000))
        .default(8)
        .describe('repeated single reads of the region for read noise'),
      average: v(int(1)).default(16).describe('reads averaged into each relaxation map'),
      relaxationTimes: z
        .array(v(positive))
        .min(1)
        .default([1, 60, 3600])
        .describe('times after programming (s) to read relaxation at, ascending (chip time)')
        .refine(
          (t) => t.every((x, i) => i === 0 || x > t[i - 1]!),
          'relaxationTimes must be strictly ascending',
        ),
      bands: v(int(1, 64)).default(8).describe('conductance bands of the relaxation table'),
      mode: v(z.enum(['host', 'board']))
        .default('board')
        .describe('write-verify of the known targets: board verb or host-driven ISPP'),
      tolerance: v(z.number().positive()).default(1).describe('write-verify tolerance (µS)'),
      columns: v(z.boolean())
        .default(true)
        .describe('fit per-column readout gain and offset (transfer curve and known patterns)'),
      stuck: v(z.boolean())
        .default(true)
        .describe('find stuck cells with strong pulses (destroys the programmed state)'),
    }),
    program: z
      .strictObject({
        kind: z.literal('program'),
        name,
        region,
        pattern: pattern.optional(),
        weights: v(z.string().regex(/\.npy$/i, 'weights must name a .npy file')).optional(),
        model: v(z.string().min(1)).optional().describe('a name from the campaign’s models'),
        mapping: v(z.enum(['twin-columns', 'adjacent-rows'])).default('twin-columns'),
        percentile: v(z.number().gt(0).max(100))
          .default(95)
          .describe('weights: the percentile of |W| mapped to the full window (larger clip)'),
        levels: v(int(2)).optional().describe('weights: quantise |ΔG| to this many levels'),
        mode: v(z.enum(['host', 'board']))
          .default('board')
          .describe('board: the firmware write-verify verb; host: ISPP pulse by pulse'),
        tolerance: v(z.number().positive())
          .default(1)
          .describe('accept |G − target| ≤ tolerance (µS)'),
        maxIterations: v(int(1)).optional(),
        maxPulsesPerPolarity: v(int(1)).optional(),
        verifyAverage: v(int(1)).optional(),
        recheck: v(
          z.strictObject({
            settleS: v(z.number().min(0)).describe('settle time before each re-read (s)'),
            rounds: v(int(0, 100)).default(1),
            tolerance: v(z.number().positive())
              .optional()
              .describe('re-program cells further than this (µS); default the tolerance'),
          }),
        )
          .optional()
          .describe('relaxation re-check of each unit of rows after programming'),
        rowsPerUnit: v(int(1))
          .default(8)
          .describe('rows per unit of work: one write-verify and one checkpoint each'),
      })
      .refine((s) => [s.pattern, s.weights, s.model].filter((x) => x !== undefined).length === 1, {
        message: 'give exactly one of pattern, weights, model',
      }),
    'read-map': z.strictObject({
      kind: z.literal('read-map'),
      name,
      region,
      average: v(int(1)).default(1),
    }),
    retention: z.strictObject({
      kind: z.literal('retention'),
      name,
      region,
      average: v(int(1)).default(1),
      times: z
        .array(v(z.number().min(0)))
        .min(1)
        .describe('read times (s) after the step starts, ascending')
        .refine(
          (t) => t.every((x, i) => i === 0 || x > t[i - 1]!),
          'times must be strictly ascending',
        ),
    }),
    infer: z.strictObject({
      kind: z.literal('infer'),
      name,
      region,
      dataset,
      batch: v(int(1)).default(64).describe('vectors per MVM batch (one checkpoint each)'),
      readout: readout.optional(),
      decode: v(z.enum(['columns', 'twin-columns'])).default('columns'),
    }),
    train: z.strictObject({
      kind: z.literal('train'),
      name,
      stage: stage.describe(
        'the model version this step makes (software, noiseAware, finetune.1…)',
      ),
      from: stage
        .optional()
        .describe('the stage it starts from (its parent); default: fresh weights'),
      dataset: loopData.default(mnist),
      layers: z
        .array(v(int(1, 256)))
        .min(2)
        .default([256, 64, 10])
        .describe('units per layer, inputs first'),
      epochs: v(int(1, 1000)).default(10).describe('epochs (one checkpoint each)'),
      batch: v(int(1)).default(128).describe('samples per optimiser step'),
      learningRate: v(positive).default(0.005).describe('Adam learning rate'),
      halfLife: v(positive).optional().describe('epochs per halving of the learning rate'),
      temperature: v(positive).default(0.1).describe('logits per output count'),
      noise: v(z.enum(['none', 'measured']))
        .default('none')
        .describe('measured: weight noise from the last characterize step’s noise model'),
      noiseScale: v(z.number().min(0)).default(1).describe('multiplies the measured σ'),
      columnNoise: v(z.number().min(0))
        .default(1)
        .describe('share of the measured column gain/offset spread injected'),
      delay: v(positive)
        .default(1)
        .describe('deploy-to-measure time the relaxation σ is taken at (s)'),
      stuck: v(z.boolean())
        .default(false)
        .describe('hold the cells the last deploy found stuck at their stuck values'),
      onChip: v(z.boolean())
        .default(false)
        .describe(
          'fine-tune the later layers on the first layer’s activations measured on chip (the last evaluate with split train)',
        ),
      groupLasso: v(z.number().min(0))
        .default(0)
        .describe('group-lasso weight over rows and columns'),
      hoyer: v(z.number().min(0)).default(0).describe('Hoyer-square weight'),
      prune: v(positive).default(1).describe('with group lasso: zero lines below this |ΔG| (µS)'),
    }),
    deploy: z.strictObject({
      kind: z.literal('deploy'),
      name,
      stage: stage.describe('the model version to program'),
      model: z
        .array(v(z.string().regex(/\.npy$/i, 'layer weights must be .npy files')))
        .min(1)
        .optional()
        .describe(
          'instead of a trained stage: one inputs × outputs .npy per layer (e.g. from PyTorch)',
        ),
      layers: z
        .array(v(int(1)))
        .min(1)
        .optional()
        .describe('program only these layers (1-based); default all'),
      percentile: v(z.number().gt(0).max(100))
        .default(95)
        .describe('the percentile of |W| mapped to the full window'),
      mode: v(z.enum(['host', 'board'])).default('board'),
      tolerance: v(z.number().positive()).default(1).describe('write-verify tolerance (µS)'),
      rowsPerUnit: v(int(1)).default(32).describe('rows per unit of work'),
    }),
    calibrate: z.strictObject({
      kind: z.literal('calibrate'),
      name,
      vectors: v(int(8)).default(512).describe('known input vectors per layer'),
      average: v(int(1)).default(4).describe('reads averaged in the read-back of the layers'),
    }),
    evaluate: z.strictObject({
      kind: z.literal('evaluate'),
      name,
      stage: stage.describe('recorded as the metric accuracy.<stage>'),
      dataset: loopData.default(mnist),
      split: v(z.enum(['test', 'train'])).default('test'),
      calibrated: v(z.boolean())
        .default(false)
        .describe('correct the columns with the last calibrate step'),
      hidden: v(z.boolean())
        .default(false)
        .describe('run the first layer only and keep its activations (for train onChip)'),
      batch: v(int(1)).default(500).describe('vectors per unit of work'),
    }),
    export: z.strictObject({
      kind: z.literal('export'),
      name,
      format: v(z.enum(['npy', 'csv', 'json'])),
      out: v(z.string().min(1)).describe('directory (relative to the campaign file)'),
    }),
  };
  const kinds = [...Object.keys(leaf), 'sweep', 'loop'].join(', ');
  type StepSchema = z.ZodType;
  const step: StepSchema = z.lazy(() =>
    z.discriminatedUnion(
      'kind',
      [
        ...Object.values(leaf),
        z.strictObject({
          kind: z.literal('sweep'),
          name,
          parameter: z
            .string()
            .min(1)
            .describe('dotted path of the parameter in `step`, e.g. readout.precisionBits'),
          values: values.optional(),
          range: range.optional(),
          step,
        }),
        z.strictObject({
          kind: z.literal('loop'),
          name,
          variable: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'variable must be an identifier'),
          values: values.optional(),
          range: range.optional(),
          steps: z.array(step).min(1),
        }),
      ] as unknown as [z.ZodObject, ...z.ZodObject[]],
      { error: () => `step kind must be one of ${kinds}` },
    ),
  );
  const leafStep = z.discriminatedUnion(
    'kind',
    Object.values(leaf) as unknown as [typeof leaf.identify],
    {
      error: () => `step kind must be one of ${kinds}`,
    },
  );
  const campaign = z.strictObject({
    name: z.string().min(1).describe('campaign name, stored with every run'),
    description: z.string().optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe('seed of the campaign’s random data (inputs, datasets)'),
    variables: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'variable names must be identifiers'),
        z.unknown(),
      )
      .optional()
      .describe('values referenced as ${name}'),
    models: z
      .record(
        z.string(),
        z.strictObject({ weights: z.string().regex(/\.npy$/i, 'weights must name a .npy file') }),
      )
      .optional()
      .describe('named weight files for program steps'),
    steps: z.array(step).min(1, 'a campaign needs at least one step'),
  });
  return { campaign, step, leaf, leafStep };
}

const varRef = z.string().regex(VAR_REF);

/** The schemas of a campaign file as written (values may be `${variable}`). */
export const rawSchemas = build(
  <T extends z.ZodType>(s: T) => z.union([s, varRef]) as unknown as T,
);

/** The schemas of concrete steps (after substitution and unrolling). */
export const concreteSchemas = build(<T extends z.ZodType>(s: T) => s);

/** The leaf step types, as the engine runs them. */
export type Leaf = typeof concreteSchemas.leaf;
/** One concrete step. */
export type Step = { [K in keyof Leaf]: z.output<Leaf[K]> }[keyof Leaf];
/** Kinds of concrete steps. */
export type StepKind = Step['kind'];
/** A concrete step of kind K. */
export type StepOf<K extends StepKind> = Extract<Step, { kind: K }>;
/** The top level of a campaign file (steps not yet unrolled). */
export type CampaignFile = z.output<typeof rawSchemas.campaign>;

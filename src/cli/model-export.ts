/** `rram-bench model export RUN [--stage S] --out DIR`: a closed-loop model as .npy files. */
import { BenchError } from '../../drivers/driver.ts';
import { DEFAULT_DB_PATH } from '../store/default-db-path.ts';
import { openRunReader } from './open-run-reader.ts';
import type { Command } from './command.ts';
import { plural } from './format.ts';
import { parseCommandArgs } from './parse-command-args.ts';

const options = {
  db: { type: 'string' },
  stage: { type: 'string' },
  out: { type: 'string' },
} as const;

const usage = `Usage: rram-bench model export RUN [--stage S] --out DIR [--db FILE]

Write the model of a closed-loop run (uuid or a unique prefix) to DIR, for numpy or PyTorch:
  fcN_weights.npy   float32 inputs × outputs per layer (fcN_bias.npy: zeros, bias-free layers)
  test_inputs.npy   the test split, float32 in [0, 1] (quantised to the input precision);
                    test_pulses.npy the same as uint8 read pulses; test_labels.npy int32
  predictions_<stage>.npy   int32 predicted class per test sample, per stage
  manifest.json     every file, the chip model (k, nSat, window, precision), layer scales,
                    and the accuracy per stage (docs/closed-loop.md has the layout)

Options:
  --stage S            the model version's stage (software, noiseAware, finetune.2…); default
                       the newest
  --out DIR            output directory (created if needed)
  --db FILE            the database (default ${DEFAULT_DB_PATH})
  -h, --help           show this help
`;

/** The `model export` command. */
export const modelExport: Command = {
  path: ['model', 'export'],
  summary: "write a closed-loop run's model, test split and predictions as .npy files",
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCommandArgs('model export', args, options, true);
    if (values.help) {
      ctx.stdout.write(usage);
      return 0;
    }
    if (positionals.length !== 1)
      throw new BenchError('USAGE', "model export needs one RUN (see 'rram-bench runs ls')");
    if (values.out === undefined) throw new BenchError('USAGE', 'model export needs --out DIR');
    const { exportModel } = await import('../training/export-model.ts');
    const reader = await openRunReader(values.db ?? DEFAULT_DB_PATH, ctx.stderr);
    try {
      const files = exportModel(reader, reader.findRun(positionals[0]!), values.stage, values.out);
      ctx.stdout.write(`${files.join('\n')}\n`);
      ctx.stderr.write(`exported ${plural(files.length, 'file')} to ${values.out}\n`);
      return 0;
    } finally {
      reader.close();
    }
  },
};

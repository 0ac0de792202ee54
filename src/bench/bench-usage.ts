/** The bench command's usage text, apart from the harness so `--help` loads nothing heavy. */

/** Where results go without `--out`. */
export const DEFAULT_OUT = 'bench-results/latest.json';

/** The bench usage text. */
export const benchUsage = `Usage: npm run bench -- [--only PREFIX]... [--out FILE] [--list]
       rram-bench bench [--only PREFIX]... [--out FILE] [--list]

Run the benchmarks one after the other, print a table, and write one JSON object keyed by
benchmark name ({ value, unit, higherIsBetter, target?, ... }) to FILE.
Exit 0 when every benchmark with a target meets it, 1 when one misses it or fails, 2 on bad
arguments.

Options:
  --only PREFIX   run only benchmarks whose name starts with PREFIX (repeatable)
  --out FILE      where to write the JSON (default ${DEFAULT_OUT})
  --list          list the benchmarks and exit
  -h, --help      show this help
`;

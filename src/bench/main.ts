/** Entry of `npm run bench` (node --import tsx src/bench/main.ts …). */
import { runBench } from './run-bench.ts';

process.exitCode = await runBench(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
});

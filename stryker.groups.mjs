// Mutation-testing groups: the modules where a silent bug costs a lab its data or its chip, each
// with the spec files that are meant to catch its mutants. `npm run mutate -- <group>...` runs
// the named groups one after the other (all of them when none is named); see docs/benchmarks.md.
// The emulator and firmware groups are measured "pre-merge": their internals are being rewritten.

/**
 * `grep` (optional): a mocha grep over test titles, to leave out tests too slow to run once per
 * mutant on a shared 2-core machine (the full-array write-verify figures run in `npm test`).
 * @type {Record<string, { mutate: string[]; testFiles: string[]; grep?: string }>}
 */
export const groups = {
  limits: {
    mutate: ['drivers/limits.ts'],
    testFiles: ['test/drivers/limits.test.ts', 'test/drivers/emulator/emulator-driver.test.ts'],
  },
  pipeline: {
    mutate: [
      'src/pipeline/program.ts',
      'src/pipeline/host-program.ts',
      'src/pipeline/board-program.ts',
      'src/pipeline/recheck.ts',
      'src/pipeline/detect-stuck.ts',
      'src/programming/ispp-*.ts',
    ],
    testFiles: [
      'test/pipeline/program.test.ts',
      'test/pipeline/program-marbles.test.ts',
      'test/programming/ispp-state.test.ts',
    ],
    grep: '^(?!.*(65,536 cells|after one emulated hour)).*$',
  },
  engine: {
    mutate: ['src/campaign/run-engine.ts', 'src/campaign/step-runner.ts'],
    testFiles: ['test/campaign/run-engine.test.ts'],
  },
  store: {
    mutate: ['src/store/store.ts', 'src/store/migrations.ts', 'src/store/run-reader.ts'],
    testFiles: ['test/store/store.test.ts', 'test/campaign/run-engine.test.ts'],
  },
  codec: {
    mutate: ['drivers/serial/codec.ts'],
    testFiles: ['test/drivers/serial/codec.test.ts'],
  },
  emulator: {
    mutate: [
      'drivers/emulator/cells.ts',
      'drivers/emulator/readout.ts',
      'drivers/emulator/relaxation.ts',
    ],
    testFiles: [
      'test/drivers/emulator/cells.test.ts',
      'test/drivers/emulator/readout.test.ts',
      'test/drivers/emulator/relaxation.test.ts',
    ],
  },
  firmware: {
    mutate: ['drivers/serial/firmware*.ts'],
    testFiles: ['test/drivers/serial/firmware.test.ts'],
  },
};

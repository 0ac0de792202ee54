#!/usr/bin/env node
// Entry point for the `rram-bench` command: runs the TypeScript CLI through tsx's loader,
// so there is no build step between editing a source file and running it.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));

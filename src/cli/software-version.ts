/** The version of rram-bench (package.json), stored with every run. */
import { readFileSync } from 'node:fs';

/** rram-bench's version, e.g. `0.1.0`. */
export const SOFTWARE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

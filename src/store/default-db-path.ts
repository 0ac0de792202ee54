/** Where `rram-bench run` keeps its data when `--db` is not given (light: usage texts import it). */
export const DEFAULT_DB_PATH = './rram-bench.db';

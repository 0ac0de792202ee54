/** Parse a numeric command-line value, refusing anything that is not what the option needs. */
import { BenchError } from '../../drivers/driver.ts';

/** Constraints on a numeric option. */
export interface NumberOptionRules {
  /** Require an integer. Default false. */
  integer?: boolean;
  /** Smallest accepted value (inclusive). */
  min?: number;
  /** Largest accepted value (inclusive). */
  max?: number;
  /** Refuse exactly `min` (an open lower bound). Default false. */
  exclusiveMin?: boolean;
}

/**
 * The number in `raw` for option `name` (e.g. `--seed`), or undefined when absent. Accepts
 * decimal and exponent notation (`5e7`); a USAGE error names the option otherwise.
 */
export function numberOption(
  name: string,
  raw: string | undefined,
  rules: NumberOptionRules = {},
): number | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim() === '' ? NaN : Number(raw);
  const fail = (need: string): never => {
    throw new BenchError('USAGE', `${name} must be ${need}, got '${raw}'`, {
      option: name,
      value: raw,
    });
  };
  if (!Number.isFinite(value)) fail('a number');
  if (rules.integer && !Number.isInteger(value)) fail('an integer');
  const { min, max } = rules;
  if (min !== undefined && (value < min || (rules.exclusiveMin && value === min)))
    fail(rules.exclusiveMin ? `greater than ${min}` : `at least ${min}`);
  if (max !== undefined && value > max) fail(`at most ${max}`);
  return value;
}

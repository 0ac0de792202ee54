/**
 * Turn what a serialport binding throws on open into a BenchError that names the problem. The
 * bindings speak errno wording ("No such file or directory", "Cannot lock port", "Resource
 * temporarily unavailable"); the mock binding its own ("Port does not exist", "Port is locked").
 */
import { BenchError } from '../../driver.ts';
import { portHolders } from './port-lock.ts';

export function portOpenError(path: string, e: unknown): BenchError {
  if (e instanceof BenchError) return e;
  const text = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown } | undefined)?.code;
  const context = { port: path, cause: text };
  if (code === 'ENOENT' || /no such file|does not exist|cannot find|not found/i.test(text))
    return new BenchError(
      'IO',
      `no such port ${path}: check the cable and the path (rram-bench ports lists them)`,
      context,
    );
  if (code === 'EBUSY' || /lock|busy|resource temporarily unavailable/i.test(text)) {
    const holders = portHolders(path);
    return new BenchError(
      'IO',
      `port ${path} is in use by ${holders.length ? holders.join(', ') : 'another process'} (close the other program or terminal on it)`,
      { ...context, holders },
    );
  }
  if (code === 'EACCES' || /permission denied|access denied/i.test(text))
    return new BenchError(
      'IO',
      `permission denied on ${path}: add your user to the port's group (dialout on most Linux systems)`,
      context,
    );
  return new BenchError('IO', `cannot open ${path}: ${text}`, context);
}

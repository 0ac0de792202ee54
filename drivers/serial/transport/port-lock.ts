/**
 * Exclusive use of a serial port, where the operating system offers it. serialport's own lock
 * (`lock: true`, flock) is advisory: a Python script that opens the port without flock still
 * gets in. On Linux a tty can be put in exclusive mode (TIOCEXCL): every later open(2) fails
 * with EBUSY (except for root) until the last descriptor is closed. Node has no ioctl, so the
 * flag is set by a short `python3` (its `fcntl.ioctl`) on the port this process holds open; the
 * flag belongs to the tty, not to the descriptor, and stays while we keep the port. Where
 * python3 or TIOCEXCL is missing the lock stays advisory, and `exclusive` says so.
 *
 * When an open is refused, `portHolders` names who holds the port, from /proc.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';

const IOCTL = `
import fcntl, os, sys, termios
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
try:
    fcntl.ioctl(fd, termios.TIOCEXCL if sys.argv[2] == "1" else termios.TIOCNXCL)
finally:
    os.close(fd)
`;

/**
 * Put the tty at `path` (held open by this process) in exclusive mode, or (`on` false) out of
 * it again before closing. True when it took.
 */
export function exclusive(path: string, on = true): boolean {
  if (process.platform !== 'linux') return false;
  const r = spawnSync('python3', ['-c', IOCTL, path, on ? '1' : '0'], {
    stdio: 'ignore',
    timeout: 5000,
  });
  return r.status === 0;
}

/** Processes that have the port at `path` open: `pid 1234 (python3 log.py)`. Empty if unknown. */
export function portHolders(path: string): string[] {
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    return [];
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    const holds = fds.some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === target;
      } catch {
        return false;
      }
    });
    if (!holds) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      /* gone */
    }
    out.push(`pid ${pid}${cmd ? ` (${cmd.length > 80 ? `${cmd.slice(0, 80)}…` : cmd})` : ''}`);
  }
  return out;
}

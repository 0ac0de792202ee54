/** Tests that need a real pseudo-terminal pair: pending, with the reason in the title, without socat. */
import { findSocat } from '../drivers/serial/transport/start-pty.ts';

/** The reason shown on a test left pending for want of socat. */
export const NO_SOCAT = 'pending: socat is not on the PATH (apt-get install socat; CI installs it)';

/** Skip the running test, naming why, when socat is missing. */
export function needsSocat(ctx: Mocha.Context): void {
  if (findSocat()) return;
  if (ctx.test) ctx.test.title += ` — ${NO_SOCAT}`;
  ctx.skip();
}

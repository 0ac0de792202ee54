/**
 * Ways to put the firmware emulator on a link: a `@serialport/binding-mock` port (hermetic
 * tests), a real pseudo-terminal pair made by socat (another process, the OS serial layer), or
 * stdio. Each lives in its own file; this one gathers them.
 */
export { firmwareMockBinding, mockPortPair } from './mock-port-pair.ts';
export type { MockPortPair, MockPortPairOptions } from './mock-port-pair.ts';
export { findSocat, startPty } from './start-pty.ts';
export type { PtyOptions, PtyServer } from './start-pty.ts';
export { serveStdio } from './serve-stdio.ts';
export type { StdioServer } from './serve-stdio.ts';
export { duplexPair } from './duplex-pair.ts';

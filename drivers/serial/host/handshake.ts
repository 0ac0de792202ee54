/**
 * The connect handshake of §7, on a link whose port was just opened (and flushed, with a bare
 * newline sent): identify, check the protocol version, fetch the limits, open or resume the
 * session, drain the board's error queue.
 */
import type { ChipInfo } from '../../driver.ts';
import { BenchError, isBenchError } from '../../driver.ts';
import { PROTOCOL_VERSION } from '../wire/codec.ts';
import type { Link } from './link.ts';

/** What the board said during the handshake. */
export interface HandshakeResult {
  /** The chip info from `LIM?`. */
  info: ChipInfo;
  /** The board's boot id (changes at every board start). */
  bootId: string;
  /** The seq the board expects next in this session. */
  nextSeq: number;
  /** Errors drained from the board's queue. */
  errors: string[];
}

/** `LIM?` may be long: a whole ChipInfo as JSON. */
const LIM_REPLY_BYTES = 4096;
/** A board with more queued errors than this is not draining: stop asking. */
const MAX_DRAIN = 64;

export async function handshake(
  link: Link,
  port: string,
  sessionId: string,
  firstSeq: number,
): Promise<HandshakeResult> {
  let idn: string;
  try {
    idn = await link.control('*IDN?');
  } catch (e) {
    if (isBenchError(e, 'TIMEOUT') && link.goodLines === 0) {
      const bad = Object.values(link.stats.badLines).reduce((a, b) => a + b, 0);
      if (bad > 0)
        throw new BenchError(
          'PROTOCOL',
          `${port} sends garbage: ${bad} unreadable lines and no valid reply to *IDN? (wrong baud rate, or not an rram-bench board?)`,
          { port, badLines: { ...link.stats.badLines } },
        );
      throw new BenchError(
        'TIMEOUT',
        `no answer from ${port}: is it an rram-bench board, and powered?`,
        { port },
      );
    }
    throw e;
  }
  if (idn.split(',')[0] !== 'RRAM-BENCH')
    throw new BenchError(
      'PROTOCOL',
      `${port} is not an rram-bench board: *IDN? answered "${idn}"`,
      { port, idn },
    );
  const prot = (await link.control('PROT?')).trim();
  if (prot !== String(PROTOCOL_VERSION))
    throw new BenchError(
      'PROTOCOL',
      `board on ${port} speaks protocol ${prot}, this rram-bench speaks ${PROTOCOL_VERSION}`,
      { port, boardVersion: prot, hostVersion: PROTOCOL_VERSION },
    );
  const info = parseChipInfo(port, await link.control('LIM?', [], { replyBytes: LIM_REPLY_BYTES }));
  const sess = (await link.control('SESS', [sessionId, firstSeq])).split(' ');
  const nextSeq = Number(sess[1]);
  if (!sess[0] || !Number.isInteger(nextSeq))
    throw new BenchError('PROTOCOL', `board on ${port} answered SESS with "${sess.join(' ')}"`, {
      port,
    });
  return { info, bootId: sess[0], nextSeq, errors: await drainErrors(link) };
}

/** `SYST:ERR?` until `0,…` (§4): the errors left in the board's queue. */
export async function drainErrors(link: Link): Promise<string[]> {
  const errors: string[] = [];
  for (let i = 0; i < MAX_DRAIN; i++) {
    const e = await link.control('SYST:ERR?');
    if (/^0\s*,/.test(e) || e === '0') break;
    errors.push(e);
  }
  return errors;
}

function parseChipInfo(port: string, text: string): ChipInfo {
  let info: unknown;
  try {
    info = JSON.parse(text);
  } catch {
    info = undefined;
  }
  const i = info as Partial<ChipInfo> | undefined;
  const ok =
    i !== undefined &&
    typeof i === 'object' &&
    Number.isInteger(i.rows) &&
    Number.isInteger(i.cols) &&
    typeof i.limits === 'object' &&
    i.limits !== null &&
    typeof i.precisionBits === 'object' &&
    typeof i.conductanceWindowMicroS === 'object' &&
    Array.isArray(i.readoutModes);
  if (!ok)
    throw new BenchError('PROTOCOL', `board on ${port} answered LIM? with no valid chip info`, {
      port,
    });
  return i as ChipInfo;
}

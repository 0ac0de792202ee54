import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { ReadlineParser } from '@serialport/parser-readline';
import fc from 'fast-check';
import {
  MAX_LINE_BYTES,
  crc16,
  decodeF32,
  decodeFlags,
  decodeU16,
  encodeErr,
  encodeEvent,
  encodeF32,
  encodeFlags,
  encodeOk,
  encodeRequest,
  encodeU16,
  formatLineSet,
  fromBase64,
  packBits,
  parseLineSet,
  parseReply,
  parseRequest,
  unpackBits,
} from '../../../drivers/serial/wire/codec.ts';
import { LineGuard } from '../../../drivers/serial/wire/line-guard.ts';

const arg = fc.stringMatching(/^[\x21-\x29\x2b-\x7e]{1,12}$/); // printable, no space, no '*'
const verb = fc.stringMatching(/^[A-Z][A-Z0-9:]{0,7}\??$/);

describe('codec', () => {
  it('computes CRC-16/CCITT-FALSE: the standard check value and the spec vectors', () => {
    assert.equal(crc16('123456789'), 0x29b1);
    assert.equal(crc16(''), 0xffff);
    assert.equal(crc16('A'), 0xb915);
    assert.equal(crc16('1 *IDN?'), 0xdec9);
    assert.equal(crc16(new TextEncoder().encode('123456789')), 0x29b1);
  });

  it('round-trips requests: encode → parse gives seq, verb and args back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        verb,
        fc.array(arg, { maxLength: 6 }),
        (seq, v, args) => {
          const line = encodeRequest(seq, v, args);
          assert.ok(line.endsWith('\n'));
          const r = parseRequest(line.slice(0, -1));
          assert.ok(typeof r === 'object', JSON.stringify(r));
          assert.deepEqual([r.seq, r.verb, r.args], [seq, v, args]);
        },
      ),
    );
  });

  it('round-trips replies and events', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constant('-' as const)),
        fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
        fc.integer({ min: 100, max: 999 }),
        (seq, text, code) => {
          const ok = parseReply(encodeOk(seq, text.trim()).trimEnd());
          assert.deepEqual(ok, { kind: 'ok', seq, value: text.trim() });
          const err = parseReply(encodeErr(seq, code, text).trimEnd());
          assert.deepEqual(err, { kind: 'err', seq, code, text });
        },
      ),
    );
    assert.deepEqual(parseReply(encodeEvent('BOOT', ['1A2B3C4D']).trimEnd()), {
      kind: 'event',
      name: 'BOOT',
      args: ['1A2B3C4D'],
    });
  });

  it('rejects every single-byte corruption of a framed request', () => {
    const line = encodeRequest(42, 'PULSE', ['3', '7', 'SET', '1.8', '1e-6', '2.4', '1']).slice(
      0,
      -1,
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: line.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (pos, flip) => {
          const bad =
            line.slice(0, pos) +
            String.fromCharCode(line.charCodeAt(pos) ^ flip) +
            line.slice(pos + 1);
          assert.equal(typeof parseRequest(bad), 'string', JSON.stringify(bad));
        },
      ),
    );
    assert.equal(parseReply(encodeOk(1, 'x').trimEnd().replace('x', 'y')), 'crc');
  });

  it('accepts terminal input without seq or CRC, and *IDN? is not mistaken for a CRC', () => {
    assert.deepEqual(parseRequest('*IDN?'), {
      seq: undefined,
      verb: '*IDN?',
      args: [],
      line: '*IDN?',
    });
    const r = parseRequest('READ 3 7 1 1 1');
    assert.ok(typeof r === 'object' && r.verb === 'READ' && r.seq === undefined);
    // Verbs are case-insensitive (§2.2): a person typing `read` is answered.
    assert.deepEqual(parseRequest('read 3'), {
      seq: undefined,
      verb: 'READ',
      args: ['3'],
      line: 'read 3',
    });
    assert.equal(parseRequest('70000 *IDN?*' + '0000'), 'crc');
    assert.equal(parseRequest('7 *IDN?'), 'crc', 'a line with a seq must carry a CRC');
    assert.equal(parseRequest('1 *IDN?\x01'), 'charset');
    assert.equal(parseReply('1 OK hello'), 'crc', 'a board line always carries a CRC');
  });

  it('packs N-bit values LSB first and round-trips every precision', () => {
    assert.deepEqual([...packBits([1, 2, 3, 15], 4)], [0x21, 0xf3]);
    assert.deepEqual([...packBits([1, 0, 1, 1, 0, 0, 0, 0, 1], 1)], [0x0d, 0x01]);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.nat(255), { maxLength: 300 }),
        (bits, raw) => {
          const values = raw.map((v) => v & ((1 << bits) - 1));
          const packed = packBits(values, bits);
          assert.equal(packed.length, Math.ceil((values.length * bits) / 8));
          assert.deepEqual([...unpackBits(packed, bits, values.length)!], values);
        },
      ),
    );
    assert.equal(unpackBits(new Uint8Array(3), 4, 7), undefined);
  });

  it('round-trips f32, u16 and flag payloads and refuses malformed base64 or wrong sizes', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ maxLength: 256, noDefaultInfinity: true, noNaN: true }),
        (a) => {
          assert.deepEqual(decodeF32(encodeF32(a), a.length), a);
        },
      ),
    );
    fc.assert(
      fc.property(fc.array(fc.nat(65535), { maxLength: 256 }), (a) => {
        assert.deepEqual([...decodeU16(encodeU16(a), a.length)!], a);
        const flags = a.map((v) => v & 1);
        assert.deepEqual([...decodeFlags(encodeFlags(flags), flags.length)!], flags);
      }),
    );
    assert.equal(decodeF32(encodeF32(new Float32Array(3)), 4), undefined);
    assert.equal(fromBase64('AAA'), undefined);
    assert.equal(fromBase64('AA A='), undefined);
  });

  it('formats and parses line sets', () => {
    assert.equal(formatLineSet([0, 1, 2, 3, 7, 9, 10]), '0-3,7,9-10');
    assert.deepEqual(parseLineSet('0-3,7,9-10'), [0, 1, 2, 3, 7, 9, 10]);
    assert.equal(parseLineSet('5-3'), undefined);
    assert.equal(parseLineSet('1,,2'), undefined);
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(300), { maxLength: 100 }), (a) => {
        const sorted = [...a].sort((x, y) => x - y);
        if (sorted.length) assert.deepEqual(parseLineSet(formatLineSet(sorted)), sorted);
      }),
    );
  });
});

/** Feed `chunks` through LineGuard + ReadlineParser and collect the lines. */
async function lines(
  chunks: (string | Buffer)[],
  max?: number,
): Promise<{ out: string[]; guard: LineGuard }> {
  const guard = new LineGuard(max);
  const parser = new ReadlineParser({ delimiter: '\n' });
  const out: string[] = [];
  parser.on('data', (l: string) => out.push(l.replace(/\r$/, '')));
  const done = new Promise((resolve) => parser.on('end', resolve));
  Readable.from(chunks.map((c) => Buffer.from(c)))
    .pipe(guard)
    .pipe(parser);
  await done;
  return { out, guard };
}

describe('line guard and resync', () => {
  it('finds the next valid line after garbage, bad CRCs and an overlong line', async () => {
    const good1 = encodeOk(1, 'first').trimEnd();
    const good2 = encodeOk(2, 'second').trimEnd();
    const { out, guard } = await lines([
      '\x00\xff garbage without newline ',
      `${good1}\r\n`,
      'x'.repeat(MAX_LINE_BYTES + 500),
      'more of the same long line\n',
      '3 OK corrupted*0000\r\n',
      good2.slice(0, 5),
      `${good2.slice(5)}\r\n`,
    ]);
    assert.equal(guard.longLines, 1);
    const valid = out.map((l) => parseReply(l)).filter((r) => typeof r === 'object');
    assert.deepEqual(
      valid.map((r) => (r.kind === 'ok' ? r.value : '')),
      ['second'],
    );
    // 'first' is glued to the garbage before it (no newline between): dropped as one bad line.
    assert.ok(out.every((l) => l.length < MAX_LINE_BYTES));
  });

  it('never lets the parser buffer more than the maximum line', async () => {
    const { out, guard } = await lines([Buffer.alloc(200_000, 0x41)], 1000);
    assert.equal(guard.longLines, 1);
    assert.ok(out.every((l) => l.length <= 1000));
  });
});

/** The .npy reader and writer. */
import assert from 'node:assert/strict';
import { isBenchError } from '../../drivers/driver.ts';
import { formatNpy, parseNpy } from '../../src/campaign/npy.ts';

describe('npy', () => {
  it('round-trips every supported dtype with its shape', () => {
    for (const data of [
      new Float32Array([1.5, -2, 3, 4, 5, 6]),
      new Float64Array([1e-300, 2, 3, 4, 5, 6]),
      new Uint8Array([1, 2, 3, 4, 5, 6]),
      new Uint16Array([1, 2, 3, 4, 5, 65535]),
      new Int32Array([-1, 2, 3, 4, 5, 6]),
    ]) {
      const bytes = formatNpy(data, [2, 3]);
      assert.equal((bytes.readUInt16LE(8) + 10) % 64, 0, 'header padded to 64 bytes');
      const back = parseNpy(bytes, 'x.npy');
      assert.deepEqual(back.shape, [2, 3]);
      assert.deepEqual(Array.from(back.data), Array.from(data));
    }
  });

  it('reads format 2.0 headers', () => {
    const v1 = formatNpy(new Float32Array([1, 2]), [2]);
    const headerLen = v1.readUInt16LE(8);
    const v2 = Buffer.concat([v1.subarray(0, 8), Buffer.alloc(4), v1.subarray(10)]);
    v2[6] = 2;
    v2.writeUInt32LE(headerLen, 8);
    assert.deepEqual(Array.from(parseNpy(v2, 'v2.npy').data), [1, 2]);
  });

  it('refuses what it cannot read, naming the file', () => {
    const good = formatNpy(new Float32Array([1, 2]), [2]);
    const refuse = (bytes: Buffer, why: RegExp) =>
      assert.throws(
        () => parseNpy(bytes, 'w.npy'),
        (e) =>
          isBenchError(e, 'INVALID_ARGUMENT') && /^w\.npy: /.test(e.message) && why.test(e.message),
      );
    refuse(Buffer.from('hello world'), /no NUMPY magic/);
    refuse(
      Buffer.from(good.toString('latin1').replace("'<f4'", "'>f4'"), 'latin1'),
      /dtype '>f4' is not supported/,
    );
    refuse(
      Buffer.from(good.toString('latin1').replace('False', 'True '), 'latin1'),
      /Fortran-order/,
    );
    refuse(good.subarray(0, good.length - 1), /needs 8 data bytes, the file holds 7/);
  });
});

import assert from 'node:assert/strict';
import { isBenchError } from '../../../drivers/driver.ts';
import { Rng } from '../../../drivers/emulator/rng.ts';
import { duplexPair } from '../../../drivers/serial/transport/duplex-pair.ts';
import {
  FaultStream,
  checkFaultOptions,
  spliceFaults,
  type FaultOptions,
} from '../../../drivers/serial/faults/faults.ts';

/** Push `input` through a fault stream in pieces; resolves to everything it let out. */
async function run(options: FaultOptions, input: Buffer, piece = 4093): Promise<Buffer> {
  const f = new FaultStream(options);
  const out: Buffer[] = [];
  f.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise((resolve) => f.on('end', resolve));
  for (let i = 0; i < input.length; i += piece) f.write(input.subarray(i, i + piece));
  f.end();
  await ended;
  return Buffer.concat(out);
}

/** `n` distinct numbered lines of `width` bytes each, `\n` included. */
function lines(n: number, width = 40): Buffer {
  return Buffer.from(
    Array.from(
      { length: n },
      (_, i) => `${String(i).padStart(8, '0')} ${'x'.repeat(width - 10)}\n`,
    ).join(''),
  );
}

/** |observed − expected| within `z` binomial standard deviations. */
function withinBinomial(observed: number, n: number, p: number, z = 4.5): void {
  const mean = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  assert.ok(
    Math.abs(observed - mean) <= z * sd,
    `${observed} observed vs ${mean.toFixed(1)} ± ${(z * sd).toFixed(1)} expected`,
  );
}

function popcount(b: number): number {
  let c = 0;
  for (; b; b &= b - 1) c++;
  return c;
}

describe('link faults', () => {
  describe('options', () => {
    it('fills in defaults', () => {
      assert.deepEqual(checkFaultOptions({}), {
        seed: 1,
        corruptRate: 0,
        dropLineRate: 0,
        duplicateLineRate: 0,
        delayMs: 0,
        jitterMs: 0,
        replugAfterMs: 500,
        unplugAfterBytes: undefined,
      });
    });

    const bad: [FaultOptions, string][] = [
      [{ corruptRate: 1.5 }, 'corruptRate'],
      [{ corruptRate: -0.1 }, 'corruptRate'],
      [{ dropLineRate: NaN }, 'dropLineRate'],
      [{ duplicateLineRate: '0.1' as unknown as number }, 'duplicateLineRate'],
      [{ delayMs: -1 }, 'delayMs'],
      [{ jitterMs: Infinity }, 'jitterMs'],
      [{ unplugAfterBytes: 0 }, 'unplugAfterBytes'],
      [{ unplugAfterBytes: 2.5 }, 'unplugAfterBytes'],
      [{ replugAfterMs: -5 }, 'replugAfterMs'],
      [{ seed: 1.5 }, 'seed'],
      [{ coruptRate: 0.1 } as FaultOptions, 'coruptRate'],
    ];
    for (const [options, field] of bad)
      it(`refuses ${Object.entries(options)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join()} naming ${field}`, () => {
        assert.throws(
          () => new FaultStream(options),
          (e: unknown) =>
            isBenchError(e, 'INVALID_ARGUMENT') &&
            e.message.includes(field) &&
            e.context.field === field,
        );
      });
  });

  describe('rates (binomial tolerances)', () => {
    it('corrupts bytes at corruptRate, one flipped bit each', async () => {
      const rng = new Rng(11);
      const input = Buffer.from(Array.from({ length: 200_000 }, () => rng.nextU32() & 0xff));
      for (const p of [0.01, 1e-3]) {
        const out = await run({ corruptRate: p, seed: 5 }, input);
        assert.equal(out.length, input.length);
        let corrupted = 0;
        for (let i = 0; i < input.length; i++) {
          const x = input[i]! ^ out[i]!;
          if (x) {
            corrupted++;
            assert.equal(popcount(x), 1);
          }
        }
        withinBinomial(corrupted, input.length, p);
      }
    });

    it('drops and duplicates whole lines at their rates, keeping order', async () => {
      const n = 20_000;
      const input = lines(n);
      const out = (await run({ dropLineRate: 0.05, duplicateLineRate: 0.03, seed: 9 }, input))
        .toString()
        .split('\n')
        .slice(0, -1);
      const seen = out.map((l) => Number(l.slice(0, 8)));
      assert.ok(
        out.every((l) => l.length === 39),
        'lines arrive whole',
      );
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! >= seen[i - 1]!, 'order kept');
      const distinct = new Set(seen).size;
      const dropped = n - distinct;
      const duplicated = seen.length - distinct;
      withinBinomial(dropped, n, 0.05);
      // A line is duplicated only if it was not dropped.
      withinBinomial(duplicated, n, 0.95 * 0.03);
    });

    it('gives equal faults for equal seeds and different ones otherwise', async () => {
      const input = lines(5000);
      const o: FaultOptions = { corruptRate: 1e-3, dropLineRate: 0.01, duplicateLineRate: 0.01 };
      const a = await run({ ...o, seed: 3 }, input, 1000);
      const b = await run({ ...o, seed: 3 }, input, 777); // chunking does not matter
      const c = await run({ ...o, seed: 4 }, input);
      assert.ok(a.equals(b));
      assert.ok(!a.equals(c));
    });
  });

  describe('delay and jitter', () => {
    it('delays every line by delayMs + U(0, jitterMs) without reordering', async () => {
      const f = new FaultStream({ delayMs: 30, jitterMs: 20, seed: 2 });
      const arrivals: [number, string][] = [];
      f.on('data', (b: Buffer) => arrivals.push([performance.now(), b.toString()]));
      const t0 = performance.now();
      for (let i = 0; i < 20; i++) f.write(`line ${i}\n`);
      await new Promise((r) => setTimeout(r, 120));
      const text = arrivals.map(([, s]) => s).join('');
      assert.equal(text, Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join(''));
      for (const [t] of arrivals) {
        assert.ok(t - t0 >= 29, `arrived after ${(t - t0).toFixed(1)} ms`);
        assert.ok(t - t0 <= 50 + 40, `arrived after ${(t - t0).toFixed(1)} ms`);
      }
      f.destroy();
    });
  });

  describe('unplug', () => {
    it('fires once at exactly unplugAfterBytes and loses what follows until replug', async () => {
      const f = new FaultStream({ unplugAfterBytes: 100 });
      const out: Buffer[] = [];
      let unplugs = 0;
      f.on('data', (b: Buffer) => out.push(b));
      f.on('unplug', () => unplugs++);
      const input = lines(10, 30);
      f.write(input.subarray(0, 70));
      f.write(input.subarray(70, 200));
      await new Promise((r) => setImmediate(r));
      assert.equal(unplugs, 1);
      assert.ok(f.isUnplugged);
      assert.ok(Buffer.concat(out).equals(input.subarray(0, 100)));
      assert.equal(f.counters.lostUnplugged, 100);
      f.replug();
      f.write(input.subarray(200, 300));
      await new Promise((r) => setImmediate(r));
      assert.ok(
        Buffer.concat(out).equals(
          Buffer.concat([input.subarray(0, 100), input.subarray(200, 300)]),
        ),
      );
      assert.equal(unplugs, 1, 'once only');
      f.destroy();
    });
  });

  describe('spliceFaults', () => {
    it('applies rx faults to what is read and tx faults to what is written', async () => {
      const [a, b] = duplexPair();
      const { stream, rx, tx } = spliceFaults(b, { rx: { dropLineRate: 1 }, tx: {} });
      const gotA: string[] = [];
      const gotB: string[] = [];
      a.on('data', (d: Buffer) => gotA.push(d.toString()));
      stream.on('data', (d: Buffer) => gotB.push(d.toString()));
      a.write('to b\n'); // dropped by rx
      stream.write('to a\n'); // passes tx
      await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(gotB, []);
      assert.deepEqual(gotA, ['to a\n']);
      assert.equal(rx!.counters.dropped, 1);
      assert.equal(tx!.counters.bytesOut, 5);
      stream.destroy();
      await new Promise((r) => setTimeout(r, 5));
      assert.ok(a.destroyed, 'destroying the wrapper pulls both ends');
    });
  });
});

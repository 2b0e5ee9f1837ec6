// Seeded batch transforms: values, crop offsets with zero padding, flips, and
// the tensor implementation equal to the TypedArray one bit for bit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import type { ArrayBatch, Transform } from '../src/data/index.js';

const { data } = torch;

/** A [n, c, h, w] uint8 batch whose pixel (s, ch, y, x) is 1 + y * w + x + 40 * ch (never 0, so padding shows). */
function positional(n: number, c: number, h: number, w: number): { t: Tensor; a: ArrayBatch } {
  const values = new Uint8Array(n * c * h * w);
  let i = 0;
  for (let s = 0; s < n; ++s)
    for (let ch = 0; ch < c; ++ch) for (let y = 0; y < h; ++y) for (let x = 0; x < w; ++x) values[i++] = 1 + y * w + x + 40 * ch;
  return { t: torch.tensor(values, { shape: [n, c, h, w] }), a: { data: values, dtype: 'uint8', shape: [n, c, h, w] } };
}

const pixel = (flat: ArrayLike<number | bigint>, shape: number[], s: number, c: number, y: number, x: number) =>
  Number(flat[((s * shape[1] + c) * shape[2] + y) * shape[3] + x]);

/** Both implementations; asserts they agree exactly and returns the values. */
function both(t: Transform, input: { t: Tensor; a: ArrayBatch }, seed: number): { shape: number[]; values: number[]; dtype: string } {
  const out = t.apply(input.t, seed);
  const arr = t.applyArray(input.a, seed);
  const values = Array.from(out.data(), Number);
  assert.deepEqual(out.shape, arr.shape, 'shapes of the tensor and the array paths');
  assert.equal(out.dtype, arr.dtype);
  assert.deepEqual(Array.from(arr.data, Number), values, `${t}: tensor and array paths differ`);
  out.dispose();
  return { shape: arr.shape, values, dtype: arr.dtype };
}

describe('randomCrop', () => {
  test('every sample is a window of the zero-padded image, at varied offsets', () => {
    const [n, c, h, w, p] = [64, 2, 5, 6, 2];
    const input = positional(n, c, h, w);
    const { shape, values } = both(data.randomCrop([4, 5], { padding: p }), input, 123);
    assert.deepEqual(shape, [n, c, 4, 5]);
    const offsets = new Set<string>();
    for (let s = 0; s < n; ++s) {
      // The top-left output pixel tells the offset unless it lies in the padding; find it by search.
      let found: [number, number] | null = null;
      for (let oy = 0; oy <= h + 2 * p - 4 && !found; ++oy) {
        for (let ox = 0; ox <= w + 2 * p - 5 && !found; ++ox) {
          let ok = true;
          for (let ch = 0; ch < c && ok; ++ch)
            for (let y = 0; y < 4 && ok; ++y)
              for (let x = 0; x < 5 && ok; ++x) {
                const [sy, sx] = [oy + y - p, ox + x - p];
                const expected = sy < 0 || sy >= h || sx < 0 || sx >= w ? 0 : 1 + sy * w + sx + 40 * ch;
                ok = pixel(values, shape, s, ch, y, x) === expected;
              }
          if (ok) found = [oy, ox];
        }
      }
      assert.ok(found, `sample ${s} is not a crop of the padded image`);
      offsets.add(found.join(','));
    }
    assert.ok(offsets.size > 15, `only ${offsets.size} distinct offsets in 64 samples`);
    assert.ok(offsets.has('0,0') || offsets.has('0,1') || offsets.has('1,0'), 'crops reaching into the top-left padding occur');
  });

  test('without padding a full-size crop is the identity; the seed decides the offsets', () => {
    const input = positional(8, 1, 6, 6);
    assert.deepEqual(both(data.randomCrop(6), input, 5).values, Array.from(input.a.data as Uint8Array));
    const a = both(data.randomCrop(3, 1), input, 1).values;
    assert.deepEqual(both(data.randomCrop(3, 1), input, 1).values, a);
    assert.notDeepEqual(both(data.randomCrop(3, 1), input, 2).values, a);
  });

  test('a crop larger than the padded image is an Error', () => {
    const input = positional(2, 1, 4, 4);
    assert.throws(() => data.randomCrop(7, 1).apply(input.t), /randomCrop: a 7x7 crop does not fit a 4x4 image padded by 1/);
    assert.throws(() => data.randomCrop(7, 1).applyArray(input.a), /does not fit/);
    assert.throws(() => data.randomCrop(0), /positive integer/);
    assert.throws(() => data.randomCrop(3, -1), /padding/);
    assert.throws(() => data.randomCrop(3).apply(torch.zeros([4, 4])), /at least 3 dimensions/);
  });
});

describe('randomHorizontalFlip', () => {
  test('p = 1 mirrors every image, p = 0 none', () => {
    const input = positional(3, 2, 4, 5);
    const flipped = input.t.flip([3]);
    assert.deepEqual(both(data.randomHorizontalFlip(1), input, 0).values, Array.from(flipped.data(), Number));
    assert.deepEqual(both(data.randomHorizontalFlip(0), input, 0).values, Array.from(input.a.data as Uint8Array));
  });

  test('p = 0.5 mirrors some samples whole and leaves the others', () => {
    const n = 200;
    const input = positional(n, 3, 2, 4);
    const { values } = both(data.randomHorizontalFlip(), input, 77);
    const per = 3 * 2 * 4;
    let flips = 0;
    for (let s = 0; s < n; ++s) {
      const got = values.slice(s * per, (s + 1) * per);
      const orig = Array.from((input.a.data as Uint8Array).slice(s * per, (s + 1) * per));
      const mirrored = orig.map((_, k) => orig[k - (k % 4) + 3 - (k % 4)]);
      if (got.join() === mirrored.join()) flips++;
      else assert.deepEqual(got, orig);
    }
    assert.ok(flips > 70 && flips < 130, `${flips} of ${n} flipped`);
  });
});

describe('value transforms', () => {
  const all = new Uint8Array(256).map((_, i) => i);
  const input = { t: torch.tensor(all, { shape: [4, 1, 8, 8] }), a: { data: all, dtype: 'uint8', shape: [4, 1, 8, 8] } as ArrayBatch };

  test('toFloat maps [0, 255] to [0, 1]; toSymmetric to [-1, 1]', () => {
    const f = both(data.toFloat(), input, 0);
    assert.equal(f.dtype, 'float32');
    assert.equal(f.values[0], 0);
    assert.equal(f.values[255], 1);
    assert.equal(f.values[51], Math.fround(51 / 255));
    const s = both(data.toSymmetric(), input, 0);
    assert.equal(s.values[0], -1);
    assert.equal(s.values[255], 1);
    assert.ok(Math.abs(s.values[128] - (128 / 127.5 - 1)) < 1e-6);
  });

  test('normalize per channel, float32 and float64, identical in both paths', () => {
    const raw = Float32Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => Math.fround(Math.sin(i) * 3));
    const x = { t: torch.tensor(raw, { shape: [2, 3, 2, 2] }), a: { data: raw, dtype: 'float32', shape: [2, 3, 2, 2] } as ArrayBatch };
    const mean = [0.1, -0.2, 0.3];
    const std = [0.7, 1.3, 0.9];
    const { values } = both(data.normalize(mean, std), x, 0);
    for (let i = 0; i < raw.length; ++i) {
      const c = Math.floor(i / 4) % 3;
      assert.ok(Math.abs(values[i] - (raw[i] - mean[c]) / std[c]) < 1e-5);
    }
    const raw64 = Float64Array.from(raw);
    both(
      data.normalize(mean, std),
      { t: torch.tensor(raw64, { shape: [2, 3, 2, 2] }), a: { data: raw64, dtype: 'float64', shape: [2, 3, 2, 2] } },
      0,
    );
    assert.throws(() => data.normalize([1, 2], [1, 1]).apply(x.t), /mean has 2 values but the batch has 3 channels/);
    assert.throws(() => data.normalize(0.5, 0.5).apply(input.t), /needs a float batch, got uint8; put toFloat\(\) before it/);
    assert.throws(() => data.normalize(0.5, 0), /std must be finite and non-zero/);
  });

  test('a whole pipeline on a 3-channel batch: tensor path == array path for many seeds', () => {
    const n = 16;
    const values = new Uint8Array(n * 3 * 9 * 7).map((_, i) => (Math.imul(i + 7, 2246822519) >>> 25) & 255);
    const batch = {
      t: torch.tensor(values, { shape: [n, 3, 9, 7] }),
      a: { data: values, dtype: 'uint8', shape: [n, 3, 9, 7] } as ArrayBatch,
    };
    const pipeline = data.compose(
      data.randomCrop([9, 7], { padding: 3 }),
      data.randomHorizontalFlip(),
      data.toFloat(),
      data.normalize([0.49, 0.48, 0.45], [0.25, 0.24, 0.26]),
    );
    for (let seed = 0; seed < 20; ++seed) both(pipeline, batch, seed);
  });

  test('apply neither changes nor disposes its input and leaks nothing', () => {
    const before = torch.memoryStats().liveTensors;
    const pipeline = data.randomCrop(8, 2).then(data.randomHorizontalFlip(), data.toFloat());
    const out = pipeline.apply(input.t, 3);
    assert.equal(torch.memoryStats().liveTensors, before + 1);
    out.dispose();
    assert.deepEqual(Array.from(input.t.data() as Uint8Array), Array.from(all));
    const same = data.compose().apply(input.t);
    assert.notEqual(same, input.t);
    same.dispose();
    // Nothing is left behind; the count can only drop (the collector may free earlier tests' leftovers meanwhile).
    assert.ok(torch.memoryStats().liveTensors <= before, `${torch.memoryStats().liveTensors} live tensors after, ${before} before`);
  });
});

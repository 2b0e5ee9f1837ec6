// DataLoader: batching, seeded shuffling, collation, worker prefetch, lifetime and errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import type { DataLoaderOptions, Dataset } from '../src/data/index.js';

const { data } = torch;

/** N items: x[i] = [i, i + 0.5] (float32), y[i] = i (int64). */
function numbered(n: number) {
  const x = torch.tensor(
    Float32Array.from({ length: 2 * n }, (_, k) => (k >> 1) + (k & 1) * 0.5),
    { shape: [n, 2] },
  );
  const y = torch.tensor(BigInt64Array.from({ length: n }, (_, i) => BigInt(i)));
  return { x, y, ds: new data.TensorDataset(x, y) };
}

/** Synthetic uint8 images [n, c, h, w] and int64 labels, deterministic. */
function images(n: number, c = 1, h = 8, w = 8) {
  const pixels = new Uint8Array(n * c * h * w);
  for (let i = 0; i < pixels.length; ++i) pixels[i] = (Math.imul(i + 1, 2654435761) >>> 24) & 255;
  const labels = BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 10));
  return { pixels, labels, x: torch.tensor(pixels, { shape: [n, c, h, w] }), y: torch.tensor(labels) };
}

/** Every batch of one epoch as plain arrays (tensors are disposed by the loader). */
function epochOf(loader: Iterable<unknown>): unknown[] {
  const out: unknown[] = [];
  for (const batch of loader) out.push(plain(batch));
  return out;
}
function plain(v: unknown): unknown {
  if (v instanceof torch.Tensor) return { shape: v.shape, dtype: v.dtype, values: Array.from(v.data(), Number) };
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
const labelsOf = (epoch: unknown[]) => epoch.flatMap((b) => (b as { values: number[] }[])[1].values);

const live = () => torch.memoryStats().liveTensors;

describe('batching', () => {
  test('batch count, len() and the last partial batch', () => {
    const { ds } = numbered(10);
    const loader = new data.DataLoader(ds, { batchSize: 4 });
    assert.equal(loader.len(), 3);
    assert.equal(loader.length, 3);
    const sizes: number[] = [];
    for (const b of loader as Iterable<Tensor[]>) sizes.push(b[0].shape[0]);
    assert.deepEqual(sizes, [4, 4, 2]);
    const epoch = epochOf(loader);
    assert.deepEqual(labelsOf(epoch), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const first = epoch[0] as { shape: number[]; dtype: string; values: number[] }[];
    assert.deepEqual(first[0].shape, [4, 2]);
    assert.equal(first[0].dtype, 'float32');
    assert.deepEqual(first[0].values, [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]);
    assert.equal(first[1].dtype, 'int64');
  });

  test('dropLast drops the short batch', () => {
    const { ds } = numbered(10);
    const loader = new data.DataLoader(ds, { batchSize: 4, dropLast: true, shuffle: true, seed: 3 });
    assert.equal(loader.len(), 2);
    const epoch = epochOf(loader);
    assert.equal(epoch.length, 2);
    assert.equal(labelsOf(epoch).length, 8);
    assert.equal(new data.DataLoader(ds, { batchSize: 10, dropLast: true }).len(), 1);
    assert.equal(new data.DataLoader(ds, { batchSize: 11, dropLast: true }).len(), 0);
    assert.equal(epochOf(new data.DataLoader(ds, { batchSize: 11, dropLast: true })).length, 0);
  });

  test('an empty dataset gives no batches', () => {
    const loader = new data.DataLoader({ length: 0, get: () => 0 }, { batchSize: 2 });
    assert.equal(loader.len(), 0);
    assert.deepEqual(epochOf(loader), []);
  });
});

describe('seeded shuffling', () => {
  const { ds } = numbered(50);
  const make = (seed: number) => new data.DataLoader(ds, { batchSize: 8, shuffle: true, seed });

  test('the same seed gives the same batches', () => {
    assert.deepEqual(epochOf(make(11)), epochOf(make(11)));
  });

  test('each epoch is a different permutation; setEpoch replays one', () => {
    const loader = make(11);
    const e0 = labelsOf(epochOf(loader));
    const e1 = labelsOf(epochOf(loader));
    assert.notDeepEqual(e0, e1);
    assert.deepEqual(
      [...e0].sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(
      [...e1].sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.equal(loader.epoch, 2);
    loader.setEpoch(1);
    assert.deepEqual(labelsOf(epochOf(loader)), e1);
    assert.deepEqual(Array.from(loader.order(0)), e0);
  });

  test('different seeds differ', () => {
    assert.notDeepEqual(labelsOf(epochOf(make(11))), labelsOf(epochOf(make(12))));
  });

  test('without a seed, torch.manualSeed makes the order repeatable', () => {
    torch.manualSeed(5);
    const a = labelsOf(epochOf(new data.DataLoader(ds, { batchSize: 8, shuffle: true })));
    torch.manualSeed(5);
    const b = labelsOf(epochOf(new data.DataLoader(ds, { batchSize: 8, shuffle: true })));
    assert.deepEqual(a, b);
  });

  test('without shuffle the order is the dataset order', () => {
    assert.deepEqual(
      labelsOf(epochOf(new data.DataLoader(ds, { batchSize: 7 }))),
      Array.from({ length: 50 }, (_, i) => i),
    );
  });
});

describe('collation', () => {
  test('nested objects, tuples, numbers, booleans, TypedArrays, tensors and strings', () => {
    const ds = {
      length: 5,
      get: (i: number) => ({
        image: torch.full([2, 3], i),
        pair: [i, i + 0.25],
        flag: i % 2 === 0,
        features: Int32Array.from([i, 2 * i, 3 * i]),
        meta: { name: `item${i}`, weight: new Float32Array([i / 2]) },
      }),
    };
    const before = live();
    const loader = new data.DataLoader(ds, { batchSize: 3 });
    const it = loader[Symbol.iterator]();
    const batch = it.next().value as any;
    assert.deepEqual(batch.image.shape, [3, 2, 3]);
    assert.equal(batch.image.dtype, 'float32');
    assert.deepEqual(Array.from(batch.image.data()), [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
    assert.equal(batch.pair[0].dtype, 'int64');
    assert.deepEqual(batch.pair[0].tolist(), [0, 1, 2]);
    assert.equal(batch.pair[1].dtype, 'float32');
    assert.deepEqual(batch.pair[1].tolist(), [0.25, 1.25, 2.25]);
    assert.equal(batch.flag.dtype, 'bool');
    assert.deepEqual(batch.flag.tolist(), [true, false, true]);
    assert.equal(batch.features.dtype, 'int32');
    assert.deepEqual(batch.features.tolist(), [
      [0, 0, 0],
      [1, 2, 3],
      [2, 4, 6],
    ]);
    assert.deepEqual(batch.meta.name, ['item0', 'item1', 'item2']);
    assert.deepEqual(batch.meta.weight.tolist(), [[0], [0.5], [1]]);
    it.return!();
    assert.ok(batch.image.isDisposed);
    // The items' own tensors (made by get) were disposed after stacking; the batch is gone after the loop.
    assert.equal(live(), before);
  });

  test('a custom collate', () => {
    const ds = { length: 4, get: (i: number) => i * 10 };
    const loader = new data.DataLoader(ds, { batchSize: 2, collate: (s) => torch.tensor(s as number[]).sum() });
    assert.deepEqual([...loader].length, 2);
    assert.deepEqual(
      epochOf(loader).map((b) => (b as { values: number[] }).values[0]),
      [10, 50],
    );
  });

  test('mismatched samples are clear errors', () => {
    assert.throws(() => data.defaultCollate([[1, 2], [3]]), /collate: batch: every sample must be an array of length 2/);
    assert.throws(() => data.defaultCollate([{ a: 1 }, { b: 1 }]), /keys \{a\}/);
    assert.throws(() => data.defaultCollate([1, 'x']), /mixes numbers/);
    assert.throws(() => data.defaultCollate([torch.zeros([2]), torch.zeros([3])]), /different shapes/);
    assert.throws(() => data.defaultCollate([]), /no samples/);
  });
});

describe('datasets', () => {
  test('TensorDataset items and batches', () => {
    const { ds } = numbered(6);
    assert.equal(ds.length, 6);
    const [x, y] = ds.get(4);
    assert.deepEqual(x.tolist(), [4, 4.5]);
    assert.equal(y.item(), 4);
    assert.deepEqual(ds.get(-1)[1].item(), 5);
    assert.throws(() => ds.get(6), /out of range/);
  });

  test('Subset and ConcatDataset', () => {
    const { ds } = numbered(6);
    const sub = new data.Subset(ds, [5, 0, 3]);
    assert.equal(sub.length, 3);
    assert.equal(sub.get(0)[1].item(), 5);
    const cat = new data.ConcatDataset([ds, sub]);
    assert.equal(cat.length, 9);
    assert.equal(cat.get(6)[1].item(), 5);
    assert.equal(cat.get(8)[1].item(), 3);
    assert.deepEqual(labelsOf(epochOf(new data.DataLoader(cat, { batchSize: 4 }))), [0, 1, 2, 3, 4, 5, 5, 0, 3]);
    assert.throws(() => new data.Subset(ds, [6]), /out of range/);
  });

  test('ArrayDataset with named fields', () => {
    const ds = new data.ArrayDataset({ x: { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), shape: [3, 2] }, y: Int32Array.from([7, 8, 9]) });
    const loader = new data.DataLoader(ds, { batchSize: 2 });
    const batches = epochOf(loader) as any[];
    assert.deepEqual(batches[0].x.values, [1, 2, 3, 4]);
    assert.equal(batches[0].x.dtype, 'uint8');
    assert.deepEqual(batches[1].y.values, [9]);
    const item = ds.get(1) as Record<string, Tensor>;
    assert.deepEqual(item.x.tolist(), [3, 4]);
  });
});

describe('worker prefetch gives the in-thread batches', () => {
  const { x, y, pixels, labels } = images(300, 3, 12, 10);
  const ds = new data.TensorDataset(x, y);
  const transform = data.compose(
    data.randomCrop([8, 9], { padding: 2 }),
    data.randomHorizontalFlip(0.5),
    data.toFloat(),
    data.normalize([0.5, 0.4, 0.3], [0.2, 0.25, 0.3]),
  );
  const loaders: { close(): void }[] = [];
  after(() => loaders.forEach((l) => l.close()));
  const run = (dataset: Dataset<unknown>, options: DataLoaderOptions<unknown>, epochs = 2) => {
    const loader = new data.DataLoader(dataset, options);
    loaders.push(loader);
    return Array.from({ length: epochs }, () => epochOf(loader));
  };

  test('TensorDataset with crop, flip, toFloat and normalize: bit for bit, any number of workers', () => {
    const options = { batchSize: 32, shuffle: true, seed: 42, transform };
    const inThread = run(ds, options);
    assert.deepEqual(run(ds, { ...options, prefetch: 2, numWorkers: 1 }), inThread);
    assert.deepEqual(run(ds, { ...options, prefetch: 5, numWorkers: 3 }), inThread);
    assert.notDeepEqual(inThread[0], inThread[1]);
    const first = (inThread[0][0] as { shape: number[] }[])[0];
    assert.deepEqual(first.shape, [32, 3, 8, 9]);
  });

  test('ArrayDataset with per-field transforms, Subset and ConcatDataset', () => {
    const arrays = new data.ArrayDataset({ image: { data: pixels, shape: [300, 3, 12, 10] }, label: labels });
    const options = {
      batchSize: 17,
      shuffle: true,
      seed: 9,
      dropLast: true,
      transform: { image: data.randomCrop(10, 3).then(data.toSymmetric()) },
    };
    const inThread = run(arrays, options);
    assert.deepEqual(run(arrays, { ...options, prefetch: 3, numWorkers: 2 }), inThread);
    const mixed = new data.ConcatDataset([new data.Subset(ds, [5, 7, 9, 299]), ds]);
    const o2 = { batchSize: 50, shuffle: true, seed: 1, transform: { 0: transform } };
    assert.deepEqual(run(mixed, { ...o2, prefetch: 1 }), run(mixed, o2));
  });

  test('batches prepared ahead for the next epoch are dropped when setEpoch picks another one', () => {
    const options = { batchSize: 64, shuffle: true, seed: 4, transform, prefetch: 4 };
    const loader = new data.DataLoader(ds, options);
    loaders.push(loader);
    epochOf(loader); // its last batches start epoch 1 in the workers
    loader.setEpoch(5);
    const five = epochOf(loader);
    const reference = new data.DataLoader(ds, { ...options, prefetch: 0 });
    reference.setEpoch(5);
    assert.deepEqual(five, epochOf(reference));
    assert.deepEqual(epochOf(loader), epochOf(reference)); // epoch 6, itself prepared ahead
  });

  test('a map function runs after the workers, on the main thread', () => {
    const options = {
      batchSize: 64,
      seed: 2,
      transform,
      map: (b: unknown) => {
        const [xb, yb] = b as Tensor[];
        return { x: xb.mean([1, 2, 3]), y: yb };
      },
    };
    assert.deepEqual(run(ds, { ...options, prefetch: 2 }, 1), run(ds, options, 1));
  });

  test('errors in a worker come back as Errors', () => {
    const bad = new data.DataLoader(ds, { batchSize: 8, transform: data.randomCrop(40), prefetch: 1 });
    loaders.push(bad);
    assert.throws(() => [...bad], /DataLoader worker: randomCrop: a 40x40 crop does not fit a 12x10 image/);
    assert.throws(
      () => [...new data.DataLoader(ds, { batchSize: 8, transform: data.randomCrop(40) })],
      /randomCrop: a 40x40 crop does not fit/,
    );
  });

  test('close() stops the workers; the next epoch starts new ones', () => {
    const loader = new data.DataLoader(ds, { batchSize: 100, prefetch: 2, seed: 1 });
    const a = epochOf(loader);
    loader.close();
    loader.setEpoch(0);
    assert.deepEqual(epochOf(loader), a);
    loader.close();
    loader.close();
    // Closing in the middle of an epoch: the rest of the epoch comes from new workers.
    const half: unknown[] = [];
    let k = 0;
    for (const batch of loader) {
      half.push(plain(batch));
      if (k++ === 0) loader.close();
    }
    loader.setEpoch(0);
    assert.deepEqual(half, epochOf(loader));
    loader.close();
  });
});

describe('batch lifetime', () => {
  const { ds } = numbered(64);
  const transform = undefined;

  for (const prefetch of [0, 2]) {
    test(`no tensor leaks over many epochs (prefetch ${prefetch})`, () => {
      const loader = new data.DataLoader(ds, { batchSize: 5, shuffle: true, seed: 1, prefetch, transform });
      for (const _ of loader) {
        /* warm up */
      }
      const before = live();
      for (let epoch = 0; epoch < 30; ++epoch) {
        for (const [xb, yb] of loader)
          torch.tidy(() => {
            xb.sum().add(yb.sum());
          });
      }
      assert.equal(live(), before);
      loader.close();
    });

    test(`break disposes the current batch; a kept batch survives (prefetch ${prefetch})`, () => {
      const loader = new data.DataLoader(ds, { batchSize: 4, prefetch });
      const before = live();
      let seen: Tensor[] = [];
      for (const batch of loader as Iterable<Tensor[]>) {
        seen = batch;
        break;
      }
      assert.ok(seen[0].isDisposed);
      assert.equal(live(), before);
      let kept: Tensor[] = [];
      let i = 0;
      for (const batch of loader as Iterable<Tensor[]>) {
        if (i++ === 3) kept = torch.keep(batch);
      }
      assert.equal(live(), before + 2);
      assert.deepEqual(kept[1].tolist(), [12, 13, 14, 15]);
      torch.dispose(kept);
      assert.equal(live(), before);
      loader.close();
    });
  }

  test('an exception in the loop body disposes the batch', () => {
    const loader = new data.DataLoader(ds, { batchSize: 4 });
    const before = live();
    assert.throws(() => {
      for (const _ of loader) throw new Error('boom');
    }, /boom/);
    assert.equal(live(), before);
  });
});

describe('bad input', () => {
  const { ds, x } = numbered(4);
  test('batchSize, prefetch, numWorkers and seed are checked', () => {
    assert.throws(() => new data.DataLoader(ds, { batchSize: 0 }), /batchSize must be an integer >= 1, got 0/);
    assert.throws(() => new data.DataLoader(ds, { batchSize: 2.5 }), /batchSize/);
    assert.throws(() => new data.DataLoader(ds, { prefetch: -1 }), /prefetch/);
    assert.throws(() => new data.DataLoader(ds, { prefetch: 1, numWorkers: 0 }), /numWorkers/);
    assert.throws(() => new data.DataLoader(ds, { seed: -3 }), /seed/);
    assert.throws(() => new data.DataLoader({} as Dataset<unknown>), /needs a length and a get/);
    assert.throws(() => new data.DataLoader(ds, { transform: ((b: unknown) => b) as never }), /pass a function as `map`/);
  });

  test('datasets with mismatched lengths', () => {
    assert.throws(() => new data.TensorDataset(x, torch.zeros([5])), /same size in the first dimension, got \[4, 5\]/);
    assert.throws(() => new data.TensorDataset(), /at least one tensor/);
    assert.throws(() => new data.TensorDataset(torch.scalarTensor(1)), /scalar/);
    assert.throws(() => new data.ArrayDataset({ a: new Uint8Array(4), b: new Float32Array(3) }), /same number of items, got a: 4, b: 3/);
    assert.throws(() => new data.ArrayDataset([{ data: new Uint8Array(5), shape: [2, 2] }]), /5 elements but shape \[2, 2\] needs 4/);
  });

  test('prefetch needs an array-backed dataset; collate needs prefetch 0', () => {
    const js = { length: 3, get: (i: number) => i };
    assert.throws(() => new data.DataLoader(js, { prefetch: 2 }), /prefetch > 0 needs a dataset backed by arrays/);
    assert.throws(() => new data.DataLoader(ds, { prefetch: 2, collate: (s) => s }), /custom collate runs on the main thread/);
  });
});

test('worker threads do not keep the process alive', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lot-data-'));
  try {
    const index = fileURLToPath(new URL('../src/index.js', import.meta.url));
    const script = join(dir, 'exit.mjs');
    writeFileSync(
      script,
      `
      import * as torch from ${JSON.stringify(index)};
      const x = torch.zeros([100, 4]);
      const loader = new torch.data.DataLoader(new torch.data.TensorDataset(x), { batchSize: 10, prefetch: 3, numWorkers: 2 });
      let n = 0;
      for (const [b] of loader) n += b.shape[0];
      for (const _ of loader) break; // leaves jobs in flight
      console.log('done', n);
    `,
    );
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /done 100/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

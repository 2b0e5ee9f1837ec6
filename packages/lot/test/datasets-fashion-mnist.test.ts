// Fashion-MNIST: IDX files (gzipped or not) written here and read back; errors name the file;
// the Debian package's files when installed.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  DatasetError,
  DEBIAN_FASHION_MNIST_DIR,
  encodeIdx,
  ensureFashionMnistPackage,
  findFashionMnistFiles,
  loadVisionDataset,
  parseIdx,
} from '../src/tasks/vision/datasets/index.js';

const root = mkdtempSync(join(tmpdir(), 'lot-fmnist-'));
after(() => rmSync(root, { recursive: true, force: true }));

const H = 28;
const W = 28;
/** Pixel j of image i. */
const pixel = (split: number, i: number, j: number): number => (split * 101 + i * 17 + j * 3) % 256;
const label = (split: number, i: number): number => (split * 3 + i * 7) % 10;

function makeSplit(split: number, n: number) {
  const images = new Uint8Array(n * H * W);
  for (let i = 0; i < n; i++) for (let j = 0; j < H * W; j++) images[i * H * W + j] = pixel(split, i, j);
  const labels = Uint8Array.from({ length: n }, (_, i) => label(split, i));
  return { images: encodeIdx(images, [n, H, W]), labels: encodeIdx(labels, [n]) };
}

/** Writes the four files into `dir`, gzipped or not. */
function writeFashion(dir: string, o: { gzip: boolean; train?: number; test?: number; dotted?: boolean }) {
  mkdirSync(dir, { recursive: true });
  const tr = makeSplit(0, o.train ?? 12);
  const te = makeSplit(1, o.test ?? 5);
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': tr.images,
    'train-labels-idx1-ubyte': tr.labels,
    't10k-images-idx3-ubyte': te.images,
    't10k-labels-idx1-ubyte': te.labels,
  };
  const paths: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(files)) {
    const base = o.dotted ? name.replace('-idx', '.idx') : name;
    const path = join(dir, o.gzip ? `${base}.gz` : base);
    writeFileSync(path, o.gzip ? gzipSync(bytes) : bytes);
    paths[name] = path;
  }
  return paths;
}

function checkSplit(
  split: { images: Uint8Array; labels: Uint8Array | Int32Array; count: number; channels: number; height: number; width: number },
  which: number,
  n: number,
) {
  assert.equal(split.count, n);
  assert.equal(split.channels, 1);
  assert.equal(split.height, H);
  assert.equal(split.width, W);
  assert.equal(split.images.length, n * H * W);
  assert.equal(split.labels.length, n);
  assert.equal(split.images.constructor, Uint8Array);
  for (let i = 0; i < n; i++) {
    assert.equal(split.labels[i], label(which, i));
    for (const j of [0, 1, 27, 28, 400, H * W - 1]) assert.equal(split.images[i * H * W + j], pixel(which, i, j), `image ${i} pixel ${j}`);
  }
}

describe('Fashion-MNIST IDX reader', () => {
  test('gzipped files from --data-dir', async () => {
    const dir = join(root, 'gz');
    writeFashion(dir, { gzip: true });
    const d = await loadVisionDataset('fashion-mnist', { dataDir: dir, download: false });
    assert.equal(d.name, 'fashion-mnist');
    assert.equal(d.classes, 10);
    assert.equal(d.source, dir);
    checkSplit(d.train, 0, 12);
    checkSplit(d.test, 1, 5);
  });

  test('uncompressed files, torchvision layout (FashionMNIST/raw) and dotted names', async () => {
    const dir = join(root, 'tv');
    writeFashion(join(dir, 'FashionMNIST', 'raw'), { gzip: false, dotted: true });
    const d = await loadVisionDataset('fashion-mnist', { dataDir: dir, download: false });
    checkSplit(d.train, 0, 12);
    checkSplit(d.test, 1, 5);
  });

  test('subset keeps the first samples, as views without copies', async () => {
    const dir = join(root, 'sub');
    writeFashion(dir, { gzip: false, train: 20, test: 9 });
    const d = await loadVisionDataset('fashion-mnist', { dataDir: dir, download: false, subset: { train: 7, test: 100 } });
    checkSplit(d.train, 0, 7);
    checkSplit(d.test, 1, 9);
    // A view on the file's bytes: the buffer holds the IDX header too.
    assert.ok(d.train.images.buffer.byteLength > d.train.images.byteLength);
    await assert.rejects(
      loadVisionDataset('fashion-mnist', { dataDir: dir, download: false, subset: { train: 0 } }),
      /subset\.train must be a positive integer/,
    );
  });

  test('a truncated gzip file gets an error naming it', async () => {
    const dir = join(root, 'trunc-gz');
    const paths = writeFashion(dir, { gzip: true });
    const p = `${paths['train-images-idx3-ubyte']}`;
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length >> 1));
    await assert.rejects(loadVisionDataset('fashion-mnist', { dataDir: dir, download: false }), (e: Error) => {
      assert.ok(e instanceof DatasetError);
      assert.ok(e.message.includes(p), e.message);
      assert.match(e.message, /corrupt or truncated gzip/);
      return true;
    });
  });

  test('a truncated IDX file gets an error naming it', async () => {
    const dir = join(root, 'trunc-idx');
    const paths = writeFashion(dir, { gzip: false });
    const p = paths['t10k-images-idx3-ubyte']!;
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length - 100));
    await assert.rejects(loadVisionDataset('fashion-mnist', { dataDir: dir, download: false }), (e: Error) => {
      assert.ok(e.message.includes(p), e.message);
      assert.match(e.message, /truncated IDX file: header says \[5, 28, 28\]/);
      return true;
    });
  });

  test('bad magic, wrong dimensions, label/image count mismatch, out-of-range labels', async () => {
    assert.throws(() => parseIdx(Uint8Array.from([1, 2, 8, 1, 0, 0, 0, 0]), 'x.idx'), /x\.idx: not an IDX file/);
    assert.throws(() => parseIdx(Uint8Array.from([0, 0, 8]), 'y.idx'), /y\.idx: truncated IDX file/);
    assert.throws(() => parseIdx(encodeIdx(new Uint8Array(4), [4]), 'z.idx', 3), /z\.idx: expected a 3-dimensional/);
    assert.throws(
      () => parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 0]), 'f.idx'),
      /f\.idx: IDX element type float32 is not supported/,
    );
    const extra = new Uint8Array([...encodeIdx(new Uint8Array(4), [4]), 9]);
    assert.throws(() => parseIdx(extra, 'e.idx'), /e\.idx: corrupt IDX file: 1 unexpected bytes/);

    const dir = join(root, 'mismatch');
    const paths = writeFashion(dir, { gzip: false });
    writeFileSync(paths['train-labels-idx1-ubyte']!, encodeIdx(new Uint8Array(11), [11]));
    await assert.rejects(
      loadVisionDataset('fashion-mnist', { dataDir: dir, download: false }),
      (e: Error) => e.message.includes(paths['train-labels-idx1-ubyte']!) && /11 labels for 12 images/.test(e.message),
    );
    writeFileSync(paths['train-labels-idx1-ubyte']!, encodeIdx(new Uint8Array(12).fill(10), [12]));
    await assert.rejects(
      loadVisionDataset('fashion-mnist', { dataDir: dir, download: false }),
      /label 10 at index 0 is out of range 0\.\.9/,
    );
  });

  test('missing data with download off: says what to do', async () => {
    const dir = join(root, 'empty');
    mkdirSync(dir, { recursive: true });
    await assert.rejects(loadVisionDataset('fashion-mnist', { dataDir: dir, download: false }), (e: Error) => {
      assert.ok(e instanceof DatasetError);
      assert.ok(e.message.includes(dir));
      assert.match(e.message, /apt-get install -y dataset-fashion-mnist/);
      assert.match(e.message, /--data-dir DIR with train-images-idx3-ubyte\.gz/);
      return true;
    });
  });

  test("Debian's dataset-fashion-mnist package, when installed", {
    skip: !findFashionMnistFiles(DEBIAN_FASHION_MNIST_DIR) && 'dataset-fashion-mnist is not installed',
  }, async () => {
    const d = await loadVisionDataset('fashion-mnist', { download: false, subset: { train: 1000 } });
    assert.equal(d.source, DEBIAN_FASHION_MNIST_DIR);
    assert.equal(d.train.count, 1000);
    assert.equal(d.test.count, 10000);
    assert.equal(d.test.images.length, 10000 * 28 * 28);
    const counts = new Array<number>(10).fill(0);
    for (const l of d.test.labels) counts[l]!++;
    assert.deepEqual(counts, new Array(10).fill(1000)); // the test set is balanced
    const r = await ensureFashionMnistPackage({ log: () => {} });
    assert.equal(r.dir, DEBIAN_FASHION_MNIST_DIR);
    assert.equal(r.installed, false);
  });
});

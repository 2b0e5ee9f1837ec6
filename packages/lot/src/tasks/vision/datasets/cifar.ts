// CIFAR-10 and CIFAR-100 (Krizhevsky 2009): 50,000 train + 10,000 test 32×32 colour images.
// Both distributions of each are read:
// - binary version: records of <label byte(s)><3072 pixel bytes> (R plane, G plane, B plane);
//   CIFAR-10: data_batch_1..5.bin + test_batch.bin, one label byte;
//   CIFAR-100: train.bin + test.bin, a coarse then a fine label byte (we use the fine label);
// - python version: pickled dicts {b'data': uint8 array N×3072, b'labels' | b'fine_labels': [...]};
//   CIFAR-10: data_batch_1..5 + test_batch; CIFAR-100: train + test.
// From a folder (the extracted files, or the official .tar.gz which is then verified and
// extracted), else the cache folder, else a download of the official binary archive.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { download, DownloadError } from '../../../sources/download.js';
import { ChecksumError, defaultCacheDir, isFile, verifyChecksum } from '../../../sources/files.js';
import { defaultLog } from '../../../sources/log.js';
import { NdArray, parsePickle, toInt32Array } from './pickle.js';
import { extractTar } from './tar.js';
import type { VisionDataset, VisionSplit } from './types.js';
import { DatasetError, plainBytes, subsetCount } from './util.js';

export const CIFAR_PIXELS = 3 * 32 * 32;

export interface CifarSpec {
  name: 'cifar10' | 'cifar100';
  classes: number;
  /** Label bytes before each record in the binary version (CIFAR-100: coarse, fine). */
  labelBytes: number;
  binary: { folder: string; train: string[]; test: string[]; archive: string; md5: string };
  python: { folder: string; train: string[]; test: string[]; archive: string; md5: string; labelKey: string };
}

const TORONTO = 'https://www.cs.toronto.edu/~kriz/';

export const CIFAR10: CifarSpec = {
  name: 'cifar10',
  classes: 10,
  labelBytes: 1,
  binary: {
    folder: 'cifar-10-batches-bin',
    train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
    test: ['test_batch.bin'],
    archive: 'cifar-10-binary.tar.gz',
    md5: 'c32a1d4ab5d03f1284b67883e8d87530',
  },
  python: {
    folder: 'cifar-10-batches-py',
    train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`),
    test: ['test_batch'],
    archive: 'cifar-10-python.tar.gz',
    md5: 'c58f30108f718f92721af3b95e74349a',
    labelKey: 'labels',
  },
};

export const CIFAR100: CifarSpec = {
  name: 'cifar100',
  classes: 100,
  labelBytes: 2,
  binary: {
    folder: 'cifar-100-binary',
    train: ['train.bin'],
    test: ['test.bin'],
    archive: 'cifar-100-binary.tar.gz',
    md5: '03b5dce01913d631647c71ecec9e9cb8',
  },
  python: {
    folder: 'cifar-100-python',
    train: ['train'],
    test: ['test'],
    archive: 'cifar-100-python.tar.gz',
    md5: 'eb9058c3a382ffc7106e4002c42a8d85',
    labelKey: 'fine_labels',
  },
};

export const cifarSpec = (name: 'cifar10' | 'cifar100'): CifarSpec => (name === 'cifar10' ? CIFAR10 : CIFAR100);

type Format = 'binary' | 'python';

/** Which format's files `dir` holds (binary preferred), or null. */
export function detectCifarFiles(dir: string, spec: CifarSpec): Format | null {
  for (const format of ['binary', 'python'] as const) {
    const f = spec[format];
    if ([...f.train, ...f.test].every((n) => isFile(join(dir, n)))) return format;
  }
  return null;
}

/** Parses binary-version records from `bytes`, appending up to `limit` samples into `out` at `offset`. */
export function parseCifarBinary(
  bytes: Uint8Array,
  file: string,
  spec: CifarSpec,
): { images: Uint8Array; labels: Uint8Array; count: number } {
  const record = spec.labelBytes + CIFAR_PIXELS;
  if (bytes.length === 0) throw new DatasetError(`${file}: empty file`, file);
  if (bytes.length % record !== 0) {
    throw new DatasetError(
      `${file}: truncated or corrupt: ${bytes.length} bytes is not a whole number of ${record}-byte ${spec.name} records (${Math.floor(bytes.length / record)} whole records and ${bytes.length % record} bytes over)`,
      file,
    );
  }
  const count = bytes.length / record;
  const images = new Uint8Array(count * CIFAR_PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * record;
    const label = bytes[at + spec.labelBytes - 1]!; // CIFAR-100: the fine label is the second byte
    if (label >= spec.classes)
      throw new DatasetError(`${file}: record ${i} has label ${label}, outside 0..${spec.classes - 1} (corrupt file?)`, file);
    labels[i] = label;
    images.set(bytes.subarray(at + spec.labelBytes, at + record), i * CIFAR_PIXELS);
  }
  return { images, labels, count };
}

/** Parses one python-version batch (a pickled dict). `images` is a view on `bytes`. */
export function parseCifarPickle(
  bytes: Uint8Array,
  file: string,
  spec: CifarSpec,
): { images: Uint8Array; labels: Uint8Array; count: number } {
  const value = parsePickle(bytes, file);
  if (!(value instanceof Map))
    throw new DatasetError(`${file}: expected a pickled dict, found ${Array.isArray(value) ? 'a list' : typeof value}`, file);
  const data = value.get('data');
  if (!(data instanceof NdArray))
    throw new DatasetError(`${file}: no 'data' numpy array in the pickled dict (keys: ${[...value.keys()].join(', ')})`, file);
  if (data.dtype !== 'u1') throw new DatasetError(`${file}: 'data' has dtype ${data.dtype}, expected uint8`, file);
  if (data.shape.length !== 2 || data.shape[1] !== CIFAR_PIXELS)
    throw new DatasetError(`${file}: 'data' has shape [${data.shape.join(', ')}], expected [N, ${CIFAR_PIXELS}]`, file);
  if (data.fortran) throw new DatasetError(`${file}: 'data' is Fortran-ordered, expected C order`, file);
  const count = data.shape[0]!;
  if (data.data.length !== count * CIFAR_PIXELS)
    throw new DatasetError(`${file}: truncated 'data' array (${data.data.length} bytes for ${count} images)`, file);
  const key = value.has(spec.python.labelKey) ? spec.python.labelKey : value.has('labels') ? 'labels' : null;
  if (!key)
    throw new DatasetError(`${file}: no '${spec.python.labelKey}' entry in the pickled dict (keys: ${[...value.keys()].join(', ')})`, file);
  let raw: Int32Array;
  try {
    raw = toInt32Array(value.get(key), `${file}: '${key}'`);
  } catch (e) {
    throw new DatasetError((e as Error).message, file);
  }
  if (raw.length !== count) throw new DatasetError(`${file}: ${raw.length} labels for ${count} images`, file);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    if (raw[i]! < 0 || raw[i]! >= spec.classes)
      throw new DatasetError(`${file}: label ${raw[i]} at index ${i} is outside 0..${spec.classes - 1}`, file);
    labels[i] = raw[i]!;
  }
  return { images: data.data, labels, count };
}

async function readSplit(
  dir: string,
  files: string[],
  format: Format,
  spec: CifarSpec,
  take: number | undefined,
  what: string,
): Promise<VisionSplit> {
  const parts: { images: Uint8Array; labels: Uint8Array; count: number }[] = [];
  let total = 0;
  for (const name of files) {
    if (take !== undefined && total >= take) break;
    const path = join(dir, name);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (e) {
      throw new DatasetError(`cannot read ${path}: ${(e as Error).message}`, path);
    }
    const part = format === 'binary' ? parseCifarBinary(bytes, path, spec) : parseCifarPickle(bytes, path, spec);
    parts.push(part);
    total += part.count;
  }
  const count = subsetCount(total, take, what);
  let images: Uint8Array;
  let labels: Uint8Array;
  if (parts.length === 1) {
    images = plainBytes(parts[0]!.images.subarray(0, count * CIFAR_PIXELS));
    labels = parts[0]!.labels.subarray(0, count);
  } else {
    images = new Uint8Array(count * CIFAR_PIXELS);
    labels = new Uint8Array(count);
    let at = 0;
    for (const p of parts) {
      const n = Math.min(p.count, count - at);
      if (n <= 0) break;
      images.set(p.images.subarray(0, n * CIFAR_PIXELS), at * CIFAR_PIXELS);
      labels.set(p.labels.subarray(0, n), at);
      at += n;
    }
  }
  return { images, labels, count, channels: 3, height: 32, width: 32 };
}

/** Reads the CIFAR files of `dir` (binary version preferred over python version). */
export async function readCifarDir(dir: string, spec: CifarSpec, subset: { train?: number; test?: number } = {}): Promise<VisionDataset> {
  const format = detectCifarFiles(dir, spec);
  if (!format) {
    throw new DatasetError(
      `${dir} does not hold the ${spec.name} files (${spec.binary.train.concat(spec.binary.test).join(', ')}, or the python version's ${spec.python.train.concat(spec.python.test).join(', ')})`,
      dir,
    );
  }
  const f = spec[format];
  const [train, test] = await Promise.all([
    readSplit(dir, f.train, format, spec, subset.train, 'train'),
    readSplit(dir, f.test, format, spec, subset.test, 'test'),
  ]);
  return { name: spec.name, classes: spec.classes, train, test, source: dir };
}

/** The folders that may hold extracted files, for a root folder. */
const candidates = (root: string, spec: CifarSpec): string[] => [root, join(root, spec.binary.folder), join(root, spec.python.folder)];

/** Extracts the data files of `archive` (verified against `md5`) into `root`. */
async function extractArchive(archive: string, md5: string, root: string, log: (line: string) => void): Promise<void> {
  try {
    await verifyChecksum(archive, md5);
  } catch (e) {
    if (e instanceof ChecksumError) throw new DatasetError(e.message, e.file);
    throw e;
  }
  log(`extracting ${archive}`);
  await extractTar(archive, root);
}

export interface CifarOptions {
  dataDir?: string;
  download?: boolean;
  subset?: { train?: number; test?: number };
  log?: (line: string) => void;
}

export async function loadCifar(name: 'cifar10' | 'cifar100', o: CifarOptions = {}): Promise<VisionDataset> {
  const spec = cifarSpec(name);
  const log = o.log ?? defaultLog;
  const roots = o.dataDir ? [o.dataDir, join(o.dataDir, name)] : [join(defaultCacheDir(), name)];
  for (const root of roots) {
    for (const dir of candidates(root, spec)) if (detectCifarFiles(dir, spec)) return readCifarDir(dir, spec, o.subset);
  }
  // An official archive already in a root: verify and extract it.
  for (const root of roots) {
    for (const format of ['binary', 'python'] as const) {
      const archive = join(root, spec[format].archive);
      if (!isFile(archive)) continue;
      await extractArchive(archive, spec[format].md5, root, log);
      for (const dir of candidates(root, spec)) if (detectCifarFiles(dir, spec)) return readCifarDir(dir, spec, o.subset);
      const f = spec[format];
      throw new DatasetError(
        `${archive} did not contain the ${name} files (${[...f.train, ...f.test].map((n) => `${f.folder}/${n}`).join(', ')})`,
        archive,
      );
    }
  }
  const looked = roots.flatMap((r) => candidates(r, spec));
  const how = `pass --data-dir DIR holding ${spec.binary.folder}/ or ${spec.python.folder}/ (or the official ${spec.binary.archive} / ${spec.python.archive})`;
  if (o.download === false) throw new DatasetError(`${name} not found (looked in ${looked.join(', ')}): ${how}, or allow the download.`);
  const root = roots[0]!;
  const archive = join(root, spec.binary.archive);
  try {
    await download([`${TORONTO}${spec.binary.archive}`], archive, spec.binary.md5, { log });
  } catch (e) {
    if (e instanceof DownloadError)
      throw new DatasetError(
        `${name} not found (looked in ${looked.join(', ')}) and the download failed (${e.message}): ${how}, or run where the network is reachable.`,
      );
    throw e;
  }
  await extractArchive(archive, spec.binary.md5, root, log);
  return readCifarDir(join(root, spec.binary.folder), spec, o.subset);
}

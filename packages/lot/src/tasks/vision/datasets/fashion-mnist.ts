// Fashion-MNIST (Zalando Research): 60,000 train + 10,000 test 28×28 grayscale images,
// 10 classes, in the IDX format of MNIST, usually gzipped.
// Where it comes from, in order: `dataDir`; Debian's `dataset-fashion-mnist` package
// (/usr/share/datasets/fashion-mnist); earlier downloads in the cache folder; a download
// from the official addresses, verified against the published MD5s.
import { join } from 'node:path';
import { download, DownloadError } from '../../../sources/download.js';
import { defaultCacheDir, findFile } from '../../../sources/files.js';
import { defaultLog } from '../../../sources/log.js';
import { installDebianPackage } from '../../../sources/programs.js';
import { readIdx } from './idx.js';
import type { VisionDataset, VisionSplit } from './types.js';
import { DatasetError, plainBytes, subsetCount } from './util.js';

/** Where Debian's `dataset-fashion-mnist` package installs the four gzipped IDX files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const DEBIAN_FASHION_MNIST_PACKAGE = 'dataset-fashion-mnist';

/** The official files and their published MD5 checksums (of the .gz files). */
export const FASHION_MNIST_FILES = {
  trainImages: { name: 'train-images-idx3-ubyte', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
  trainLabels: { name: 'train-labels-idx1-ubyte', md5: '25c81989df183df01b3e8a0aad5dffbe' },
  testImages: { name: 't10k-images-idx3-ubyte', md5: 'bef4ecab320f06d8554ea6380940ec79' },
  testLabels: { name: 't10k-labels-idx1-ubyte', md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
} as const;

/** The official download addresses (the Zalando Research bucket, then its GitHub repository). */
export const FASHION_MNIST_MIRRORS = [
  'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
] as const;

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

type FileKey = keyof typeof FASHION_MNIST_FILES;
const KEYS = Object.keys(FASHION_MNIST_FILES) as FileKey[];

const fileList = KEYS.map((k) => `${FASHION_MNIST_FILES[k].name}.gz`).join(', ');

/** The four files in `dir` (gzipped or not), or null when any is missing. */
export function findFashionMnistFiles(dir: string): Record<FileKey, string> | null {
  const found: Partial<Record<FileKey, string>> = {};
  for (const k of KEYS) {
    const n = FASHION_MNIST_FILES[k].name;
    // torchvision and some mirrors use dots (train-images.idx3-ubyte); accept both.
    const dotted = n.replace(/-idx/, '.idx');
    const p = findFile(dir, [`${n}.gz`, n, `${dotted}.gz`, dotted]);
    if (!p) return null;
    found[k] = p;
  }
  return found as Record<FileKey, string>;
}

/** Folders looked in for the files, in order. */
export function fashionMnistSearchDirs(dataDir?: string): string[] {
  const dirs: string[] = [];
  if (dataDir) dirs.push(dataDir, join(dataDir, 'fashion-mnist'), join(dataDir, 'FashionMNIST', 'raw'), join(dataDir, 'fashion_mnist'));
  else dirs.push(DEBIAN_FASHION_MNIST_DIR, join(defaultCacheDir(), 'fashion-mnist'));
  return dirs;
}

async function readSplit(imagesPath: string, labelsPath: string, take: number | undefined, what: string): Promise<VisionSplit> {
  const [images, labels] = await Promise.all([readIdx(imagesPath, 3), readIdx(labelsPath, 1)]);
  const [n, h, w] = images.shape as [number, number, number];
  if (labels.shape[0] !== n) {
    throw new DatasetError(`${labelsPath}: ${labels.shape[0]} labels for ${n} images in ${imagesPath}`, labelsPath);
  }
  for (let i = 0; i < labels.data.length; i++) {
    if (labels.data[i]! >= 10)
      throw new DatasetError(`${labelsPath}: label ${labels.data[i]} at index ${i} is out of range 0..9 (corrupt file?)`, labelsPath);
  }
  const count = subsetCount(n, take, what);
  return {
    images: plainBytes(images.data.subarray(0, count * h * w)),
    labels: plainBytes(labels.data.subarray(0, count)),
    count,
    channels: 1,
    height: h,
    width: w,
  };
}

/** Reads the four IDX files of `dir` (the first `subset` images of each split when given). */
export async function readFashionMnistDir(dir: string, subset: { train?: number; test?: number } = {}): Promise<VisionDataset> {
  const files = findFashionMnistFiles(dir);
  if (!files) throw new DatasetError(`${dir} does not hold the Fashion-MNIST files (${fileList})`, dir);
  const [train, test] = await Promise.all([
    readSplit(files.trainImages, files.trainLabels, subset.train, 'train'),
    readSplit(files.testImages, files.testLabels, subset.test, 'test'),
  ]);
  return { name: 'fashion-mnist', classes: 10, train, test, source: dir };
}

export interface FashionMnistOptions {
  dataDir?: string;
  /** Download from the official address when nothing is found locally. Default true. */
  download?: boolean;
  subset?: { train?: number; test?: number };
  log?: (line: string) => void;
}

/** The message given when the data is nowhere and cannot be fetched. */
function notFoundMessage(looked: string[], why: string | null): string {
  return (
    `Fashion-MNIST not found (looked in ${looked.join(', ')})` +
    (why ? ` and the download failed (${why})` : '') +
    `. Install Debian's ${DEBIAN_FASHION_MNIST_PACKAGE} package (the project's setup does it; as root: apt-get install -y ${DEBIAN_FASHION_MNIST_PACKAGE}), ` +
    `or pass --data-dir DIR with ${fileList}` +
    (why ? ', or run where the network is reachable.' : ', or allow the download.')
  );
}

export async function loadFashionMnist(o: FashionMnistOptions = {}): Promise<VisionDataset> {
  const looked = fashionMnistSearchDirs(o.dataDir);
  for (const dir of looked) {
    if (findFashionMnistFiles(dir)) return readFashionMnistDir(dir, o.subset);
  }
  if (o.download === false) throw new DatasetError(notFoundMessage(looked, null));
  const dest = o.dataDir ?? join(defaultCacheDir(), 'fashion-mnist');
  const log = o.log ?? defaultLog;
  try {
    for (const k of KEYS) {
      const { name, md5 } = FASHION_MNIST_FILES[k];
      await download(
        FASHION_MNIST_MIRRORS.map((m) => `${m}${name}.gz`),
        join(dest, `${name}.gz`),
        md5,
        { log },
      );
    }
  } catch (e) {
    if (e instanceof DownloadError) throw new DatasetError(notFoundMessage(looked, e.message));
    throw e;
  }
  return readFashionMnistDir(dest, o.subset);
}

export interface EnsurePackageResult {
  /** The folder holding the data when it is there now, else null. */
  dir: string | null;
  /** True when this call installed the package. */
  installed: boolean;
  /** What happened, in one line. */
  message: string;
}

/**
 * Makes sure Debian's Fashion-MNIST package is installed: when its files are missing, installs
 * `dataset-fashion-mnist` through the sources' installDebianPackage (as root with apt-get,
 * running `apt-get update` first only when apt does not know the package). Never hangs: each apt
 * command is killed after `timeoutMs` (default 5 minutes) and apt waits at most 60 s for its
 * lock. Never throws: the result says what happened.
 */
export async function ensureFashionMnistPackage(
  o: {
    timeoutMs?: number;
    log?: (line: string) => void;
    /** For tests: the folder the package installs (default /usr/share/datasets/fashion-mnist) and the apt-get to run. */
    dir?: string;
    aptGet?: string;
  } = {},
): Promise<EnsurePackageResult> {
  const log = o.log ?? defaultLog;
  const dir = o.dir ?? DEBIAN_FASHION_MNIST_DIR;
  if (findFashionMnistFiles(dir)) {
    return { dir, installed: false, message: `Fashion-MNIST is installed in ${dir}` };
  }
  const r = await installDebianPackage(DEBIAN_FASHION_MNIST_PACKAGE, {
    log,
    otherwise: 'pass --data-dir or let lot download the data',
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.aptGet !== undefined ? { aptGet: o.aptGet } : {}),
  });
  if (!r.installed) return { dir: null, installed: false, message: r.message };
  if (!findFashionMnistFiles(dir)) {
    return {
      dir: null,
      installed: false,
      message: `installed ${DEBIAN_FASHION_MNIST_PACKAGE}, but ${dir} does not hold ${fileList}; pass --data-dir or let lot download the data`,
    };
  }
  log(`Fashion-MNIST is in ${dir}`);
  return { dir, installed: true, message: `installed ${DEBIAN_FASHION_MNIST_PACKAGE} into ${dir}` };
}

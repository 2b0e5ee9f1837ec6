// Image classification data sets with real readers for their standard file formats.
import { loadCifar } from './cifar.js';
import { loadFashionMnist } from './fashion-mnist.js';
import type { LoadVisionDatasetOptions, VisionDataset, VisionDatasetName } from './types.js';

export type { LoadVisionDatasetOptions, VisionDataset, VisionDatasetName, VisionSplit } from './types.js';
export { DatasetError } from './util.js';
export { encodeIdx, parseIdx, readIdx } from './idx.js';
export { NdArray, parsePickle } from './pickle.js';
export { extractTar } from './tar.js';
export {
  DEBIAN_FASHION_MNIST_DIR,
  DEBIAN_FASHION_MNIST_PACKAGE,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_FILES,
  FASHION_MNIST_MIRRORS,
  ensureFashionMnistPackage,
  findFashionMnistFiles,
  loadFashionMnist,
  readFashionMnistDir,
} from './fashion-mnist.js';
export type { EnsurePackageResult } from './fashion-mnist.js';
export { CIFAR10, CIFAR100, CIFAR_PIXELS, detectCifarFiles, loadCifar, parseCifarBinary, parseCifarPickle, readCifarDir } from './cifar.js';

export const VISION_DATASETS: readonly VisionDatasetName[] = ['fashion-mnist', 'cifar10', 'cifar100'];

/**
 * Loads an image classification data set as raw uint8 arrays (images N×C×H×W, labels).
 * Fashion-MNIST: from `dataDir`, else Debian's dataset-fashion-mnist package
 * (/usr/share/datasets/fashion-mnist), else the cache, else a verified download.
 * CIFAR-10/100: from `dataDir` (binary or python version, extracted or as the official
 * archive), else the cache, else a verified download of the official binary archive.
 * Errors are DatasetError with a message that names the file or says what to do.
 */
export async function loadVisionDataset(name: VisionDatasetName, o: LoadVisionDatasetOptions = {}): Promise<VisionDataset> {
  switch (name) {
    case 'fashion-mnist':
      return loadFashionMnist(o);
    case 'cifar10':
    case 'cifar100':
      return loadCifar(name, o);
    default:
      throw new Error(`unknown data set '${String(name)}' (known: ${VISION_DATASETS.join(', ')})`);
  }
}

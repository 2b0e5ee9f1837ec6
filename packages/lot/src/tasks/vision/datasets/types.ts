/** One split of an image classification data set, raw: what a data loader indexes into. */
export interface VisionSplit {
  /** uint8 pixels, N×C×H×W row-major (sample i starts at i·C·H·W). May be a view on a larger buffer. */
  images: Uint8Array;
  /** Class indices 0..classes−1, one per sample. */
  labels: Uint8Array | Int32Array;
  count: number;
  channels: number;
  height: number;
  width: number;
}

export interface VisionDataset {
  name: string;
  classes: number;
  train: VisionSplit;
  test: VisionSplit;
  /** Where the data was read from (a folder). */
  source: string;
}

export type VisionDatasetName = 'fashion-mnist' | 'cifar10' | 'cifar100';

export interface LoadVisionDatasetOptions {
  /** A folder holding the data set's files (or its archive). */
  dataDir?: string;
  /** Download from the official address when the data is not found locally. Default true. */
  download?: boolean;
  /** Keep only the first `train` / `test` samples of each split. */
  subset?: { train?: number; test?: number };
  /** Status lines (downloads, extraction). Default: stderr. */
  log?: (line: string) => void;
}

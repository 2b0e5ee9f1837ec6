// torch.data: datasets, the DataLoader and seeded batch transforms.
export type { Dataset, ArrayField } from './dataset.js';
export { TensorDataset, ArrayDataset, Subset, ConcatDataset } from './dataset.js';
export { DataLoader } from './dataloader.js';
export type { DataLoaderOptions, TransformOption, Collated } from './dataloader.js';
export { defaultCollate } from './collate.js';
export {
  Transform,
  compose,
  toFloat,
  toSymmetric,
  normalize,
  randomCrop,
  randomHorizontalFlip,
} from './transforms.js';
export type { ArrayBatch, ArrayDType, TransformSpec } from './array-ops.js';
export { Rng, permutation, seedFor } from './random.js';

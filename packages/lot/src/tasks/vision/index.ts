// The vision domain: image classification datasets, models, the task, and `lot train vision`.
export * from './batches.js';
export * from './data.js';
export * from './domain.js';
export * from './models.js';
export * from './runtime.js';
export * from './settings.js';
export * from './task.js';
export { loadVisionDataset, VISION_DATASETS } from './datasets/index.js';
export type { VisionDataset, VisionDatasetName, VisionSplit } from './datasets/index.js';

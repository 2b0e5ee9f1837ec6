export * from './lot/index.js';
export * from './tasks/vision/models.js';
export * from './tasks/vision/task.js';
export { loadVisionDataset } from './tasks/vision/datasets/index.js';
export type { VisionDataset, VisionSplit } from './tasks/vision/datasets/index.js';
export { RunFolder } from './runs/folder.js';
export { trainVisionRun } from './runs/vision.js';
export { runImitability } from './imitability/index.js';
export { buildReport } from './report/index.js';

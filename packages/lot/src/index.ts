export * from './lot/index.js';
export * from './tasks/vision/models.js';
export * from './tasks/vision/task.js';

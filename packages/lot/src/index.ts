export * from './lot/index.js';

// torch.nn: modules, containers, layers, init, and the functional API.
export * as functional from './functional.js';
export { Module } from './module.js';
export type { LoadResult } from './module.js';
export * from './container.js';

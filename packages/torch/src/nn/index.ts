// torch.nn: modules, containers, layers, init, and the functional API.
export * as functional from './functional.js';
export * as init from './init.js';
export { Module } from './module.js';
export type { LoadResult } from './module.js';
export * from './container.js';
export * from './linear.js';
export * from './normalization.js';
export * from './layers.js';
export * from './rnn.js';
export * from './transformer.js';

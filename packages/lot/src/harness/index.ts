// The run harness: one way for a run of any domain to live (config, schedule, progress,
// checkpoints, exact resume, records). It knows no domain; domains plug in (domain.ts).
export * from './config.js';
export * from './domain.js';
export * from './errors.js';
export * from './fields.js';
export * from './folder.js';
export * from './methods.js';
export * from './options.js';
export * from './progress.js';
export * from './records.js';
export { freshState, newAccum, type RunState, type TrainAccum } from './state.js';
export * from './train.js';
export * from './parallel.js';
export * from './launch.js';
export * from './sweep.js';

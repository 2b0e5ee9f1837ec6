// torch.optim: optimizers, gradient clipping and learning-rate schedules.
export { Optimizer } from './optimizer.js';
export type { BaseOptions, ParamGroup, ParamGroupInput, Params, ParamState, OptimizerStateDict } from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDOptions } from './sgd.js';
export { Adam, AdamW } from './adam.js';
export { RMSprop } from './rmsprop.js';
export type { RMSpropOptions } from './rmsprop.js';
export type { AdamOptions } from './adam.js';
export { clipGradNorm_, clipGradValue_ } from './clip.js';
export * as lrScheduler from './lr-scheduler.js';
export {
  LRScheduler, LambdaLR, StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, CosineAnnealingLR, SequentialLR, ChainedScheduler,
  ReduceLROnPlateau, OneCycleLR, CosineAnnealingWarmRestarts,
} from './lr-scheduler.js';
export type { SchedulerStateDict, ReduceLROnPlateauOptions, OneCycleLROptions } from './lr-scheduler.js';

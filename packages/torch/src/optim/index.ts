// torch.optim: optimizers, gradient clipping and learning-rate schedules, with
// PyTorch's names, defaults and update formulas (tests compare with torch.optim).
//
//   const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
//   const sched = new optim.SequentialLR(opt, [
//     new optim.LinearLR(opt, { startFactor: 0.1, totalIters: 5 }),
//     new optim.CosineAnnealingLR(opt, 195),
//   ], [5]);
//   for (...) {
//     opt.zeroGrad();
//     torch.tidy(() => lossOf(batch).backward());
//     optim.clipGradNorm_(model.parameters(), 5.0);
//     opt.step();
//     sched.step();            // per batch or per epoch: the schedule counts calls
//   }
//
// Parameter groups: new optim.AdamW([{ params: decay, weightDecay: 0.05 }, { params: noDecay, weightDecay: 0 }], { lr: 3e-4 }).
// State: opt.stateDict() / loadStateDict() and sched.stateDict() / loadStateDict() in PyTorch's
// layout; saveCheckpoint / loadCheckpoint (../checkpoint.ts) put them in one file.
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
  LRScheduler,
  LambdaLR,
  StepLR,
  MultiStepLR,
  ConstantLR,
  LinearLR,
  ExponentialLR,
  CosineAnnealingLR,
  SequentialLR,
  ChainedScheduler,
  ReduceLROnPlateau,
  OneCycleLR,
  CosineAnnealingWarmRestarts,
} from './lr-scheduler.js';
export type { SchedulerStateDict, ReduceLROnPlateauOptions, OneCycleLROptions } from './lr-scheduler.js';

// LoT as a library: losses, the teacher/student updates, the cost model and baselines.
export * from './types.js';
export * from './losses.js';
export * from './cost.js';
export { LotTrainer, DEFAULT_LOT_CONFIG } from './trainer.js';
export type { LotConfig, LotStepMetrics, LotTrainerOptions, LotTrainerState, StepOptions, StudentOnlyStepMetrics } from './trainer.js';

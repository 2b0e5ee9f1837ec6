// @lot/torch: tensors, autograd and neural networks for TypeScript on libtorch.
import './tensor-methods.js';

export { Tensor } from './tensor.js';
export type { NestedArray, BackwardOptions } from './tensor.js';
export type { DType, TypedArray } from './dtype.js';
export { isFloatingDType } from './dtype.js';
export * from './ops/creation.js';
export * from './ops/math.js';
export * from './ops/shape.js';
export { tidy, keep, dispose, disposeScope, DisposeScope } from './scope.js';
export { grad, noGrad, enableGrad, isGradEnabled, setGradEnabled, inferenceMode, isInferenceMode } from './autograd.js';
export type { GradOptions } from './autograd.js';
export * from './runtime.js';
export { save, load, serialize, deserialize } from './serialize.js';
export type { LoadOptions, Saveable } from './serialize.js';
export { writeFileAtomic } from './atomic-write.js';
export { ops, callOperator } from './dispatch.js';
export { schemaOf, listOperators } from './op-registry.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export { saveCheckpoint, loadCheckpoint } from './checkpoint.js';
export type { CheckpointParts, CheckpointTargets, StateDictModule } from './checkpoint.js';
export * as data from './data/index.js';
export * as distributed from './distributed/index.js';
export * as cuda from './cuda.js';

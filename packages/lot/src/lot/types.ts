// What the LoT algorithm needs from the world: models, optimizers, and a task
// that turns a batch into logits and a task loss. Nothing here knows images,
// text or environments.
import type { nn, Tensor } from '@lot/torch';

export type Module = nn.Module;

/** The part of an optimizer LoT uses (torch.optim's optimizers satisfy it). */
export interface LotOptimizer {
  zeroGrad(setToNone?: boolean): void;
  step(): unknown;
}

/** A model with its optimizer; `weight` is a student's λ_i (default: uniform, 1/K). */
export interface Learner {
  model: Module;
  optimizer: LotOptimizer;
  weight?: number;
}

/** A task: the forward pass to logits and the task loss, for batches of type B. */
export interface LotTask<B> {
  /** Logits of `model` on `batch`: [rows, classes] (or [..., classes]: every leading dimension is a row). */
  logits(model: Module, batch: B): Tensor;
  /** The task loss (e.g. cross-entropy against the labels) of these logits; a scalar. */
  taskLoss(logits: Tensor, batch: B): Tensor;
  /** Examples in the batch (for throughput and averages). */
  batchSize(batch: B): number;
  /** Optional: the number of correct predictions in the batch (train accuracy in the metrics). */
  correct?(logits: Tensor, batch: B): number;
}

// What the LoT algorithm needs from the world: models, optimizers, and a task that turns a
// batch into logits (plus whatever else the task needs from the same forward pass) and a task
// loss. Nothing here knows images, text or environments.
import type { nn, Tensor } from '@lot/torch';

export type Module = nn.Module;

/** The part of an optimizer LoT uses (torch.optim's optimizers satisfy it). */
export interface LotOptimizer {
  zeroGrad(setToNone?: boolean): void;
  step(): unknown;
}

/** A model with its optimizer. */
export interface Learner {
  model: Module;
  optimizer: LotOptimizer;
  /** A student's λ_i (default: uniform, 1/K). */
  weight?: number;
  /**
   * Runs between this model's backward and its optimizer step: gradient clipping now,
   * the all-reduce of data-parallel training later.
   */
  beforeStep?: (model: Module) => void;
}

/** Recurrent state of one model on one stream (LSTM (h, c), Transformer-XL memories): a list of tensors. */
export type RecurrentState = Tensor[];

/** Which model a forward pass runs and on which stream, with that pair's recurrent state. */
export interface ForwardContext {
  role: 'teacher' | 'student';
  /** The student's index (0 for the teacher). */
  index: number;
  /**
   * The stream the batch comes from: 'main' for joint steps, 'cursor' for the students' own
   * steps (or a name the caller gives). Recurrent state is kept per (model, stream).
   */
  stream: string;
  /** The state this pair left at its previous forward pass (detached), or null at a start. */
  state: RecurrentState | null;
}

/** A forward pass's result: the logits LoT compares, the state to carry, and anything else the task needs. */
export interface ForwardOutput {
  /** [rows, classes], or [..., classes]: every leading dimension is a row. */
  logits: Tensor;
  /** The new recurrent state; the trainer detaches it and passes it to this pair's next forward. */
  state?: RecurrentState;
}

/** A task: the forward pass and the task loss, for batches of type B. */
export interface LotTask<B, O extends ForwardOutput = ForwardOutput> {
  forward(model: Module, batch: B, ctx: ForwardContext): O;
  /** The task loss of a forward pass's output (cross-entropy, PPO's loss); a scalar. */
  taskLoss(out: O, batch: B): Tensor;
  /** Examples in the batch (for throughput and averages). */
  batchSize(batch: B): number;
  /** Optional: correct predictions in the batch (train accuracy in the metrics). */
  correct?(out: O, batch: B): number;
}

// Image classification as a LoT task: logits = model(images), task loss =
// cross-entropy; and evaluation (loss and accuracy) in eval mode without a graph.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import type { LotTask, Module } from '../../lot/index.js';

const F = torch.nn.functional;

/** A batch of images [N, C, H, W] (float) and class labels [N] (int64). */
export interface VisionBatch {
  images: Tensor;
  labels: Tensor;
}

export const visionTask: LotTask<VisionBatch> = {
  logits: (model: Module, batch: VisionBatch) => model.forward(batch.images) as Tensor,
  taskLoss: (logits: Tensor, batch: VisionBatch) => F.crossEntropy(logits, batch.labels),
  batchSize: (batch: VisionBatch) => batch.labels.shape[0],
  correct: (logits: Tensor, batch: VisionBatch) => torch.tidy(() => logits.argmax(1).eq(batch.labels).sum().item()),
};

export interface EvalResult {
  /** Mean cross-entropy per example. */
  loss: number;
  /** Fraction correct, in [0, 1]. */
  accuracy: number;
  examples: number;
}

/**
 * Loss and accuracy of `model` over `batches`, in eval mode (BatchNorm running statistics)
 * and without a graph; the model's previous mode is restored afterwards.
 */
export function evaluate(model: Module, batches: Iterable<VisionBatch>): EvalResult {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let correct = 0;
  let examples = 0;
  try {
    // Pull each batch inside the scope, so batches a lazy source makes are released with it.
    const it = batches[Symbol.iterator]();
    while (torch.tidy(() => {
      const next = it.next();
      if (next.done) return false;
      const batch = next.value;
      torch.noGrad(() => {
        const logits = model.forward(batch.images) as Tensor;
        lossSum += F.crossEntropy(logits, batch.labels, { reduction: 'sum' }).item();
        correct += logits.argmax(1).eq(batch.labels).sum().item();
        examples += batch.labels.shape[0];
      });
      return true;
    }));
  } finally {
    model.train(wasTraining);
  }
  return { loss: examples ? lossSum / examples : NaN, accuracy: examples ? correct / examples : NaN, examples };
}

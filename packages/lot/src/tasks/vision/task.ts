// Image classification as a LoT task: logits = model(images), task loss = cross-entropy,
// accuracy; and the one evaluator of vision models (eval mode, no graph).
import * as torch from '@lot/torch';
import type { Evaluation } from '../../harness/index.js';
import { type ForwardOutput, klTau, type LotTask, type Module } from '../../lot/index.js';
import type { VisionBatch } from './batches.js';

const F = torch.nn.functional;

const correct = (out: ForwardOutput, batch: VisionBatch): number => torch.tidy(() => out.logits.argmax(1).eq(batch.labels).sum().item());

export const visionTask: LotTask<VisionBatch> = {
  forward: (model, batch) => ({ logits: model.forward(batch.images) as torch.Tensor }),
  taskLoss: (out, batch) => F.crossEntropy(out.logits, batch.labels),
  batchSize: (batch) => batch.labels.shape[0]!,
  correct,
};

/**
 * Test accuracy and loss of the teacher and each student over `batches`, and KLτ(teacher ‖ first
 * student), in eval mode (BatchNorm running statistics) without a graph; modes are restored.
 * Batches a lazy source makes are pulled inside a scope and released with it.
 */
export function evaluateVision(teacher: Module, students: Module[], batches: Iterable<VisionBatch>, tau: number): Evaluation {
  const models = [teacher, ...students];
  const modes = models.map((m) => m.training);
  for (const m of models) m.eval();
  const loss = models.map(() => 0);
  const right = models.map(() => 0);
  let kl = 0;
  let examples = 0;
  try {
    const it = batches[Symbol.iterator]();
    const next = (): boolean =>
      torch.tidy(() => {
        const item = it.next();
        if (item.done) return false;
        const b = item.value;
        torch.noGrad(() => {
          const size = b.labels.shape[0]!;
          const logits = models.map((m) => visionTask.forward(m, b, { role: 'teacher', index: 0, stream: 'eval', state: null }).logits);
          logits.forEach((z, i) => {
            loss[i]! += F.crossEntropy(z, b.labels, { reduction: 'sum' }).item();
            right[i]! += correct({ logits: z }, b);
          });
          if (students.length) kl += klTau(logits[0]!, logits[1]!, tau).item() * size;
          examples += size;
        });
        return true;
      });
    while (next());
  } finally {
    models.forEach((m, i) => m.train(modes[i]));
  }
  const metrics = (i: number) => ({
    testAccuracy: examples ? right[i]! / examples : Number.NaN,
    testLoss: examples ? loss[i]! / examples : Number.NaN,
  });
  return { teacher: metrics(0), students: students.map((_, i) => metrics(i + 1)), kl: students.length && examples ? kl / examples : null };
}

// The LoT losses (docs/METHOD.md#losses): the tempered KL between two sets of
// logits, and the teacher's and a student's loss for each loss variant.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';

const F = torch.nn.functional;

/** The loss variants of the reference implementation (docs/METHOD.md#loss-variants). */
export type LossVariant = 'kl_ce' | 'kl' | 'symmetric_kl' | 'symmetric_kl_ce';
export const LOSS_VARIANTS: readonly LossVariant[] = ['kl_ce', 'kl', 'symmetric_kl', 'symmetric_kl_ce'];

/**
 * KLτ(p^τ(target) ‖ p^τ(logits)) = τ² · (1/rows) · Σ_rows Σ_c a_c (log a_c − log b_c),
 * with a = softmax(target/τ), b = softmax(logits/τ), computed from log-softmax.
 * Every dimension but the last is a row (language models: [seq, batch, vocab]
 * gives a per-token mean). Gradients flow into whichever argument is not detached.
 */
export function klTau(targetLogits: Tensor, logits: Tensor, tau: number): Tensor {
  if (!(tau > 0)) throw new RangeError(`klTau: the temperature τ must be > 0, got ${tau}`);
  const shapeT = targetLogits.shape;
  const shapeS = logits.shape;
  if (shapeT.length !== shapeS.length || shapeT.some((d, i) => d !== shapeS[i])) {
    throw new Error(`klTau: the two sets of logits differ in shape: [${shapeT.join(', ')}] vs [${shapeS.join(', ')}]`);
  }
  return torch.tidy(() => {
    const classes = shapeS[shapeS.length - 1];
    const rows = (x: Tensor) => (x.ndim === 2 ? x : x.reshape(-1, classes));
    const logB = F.logSoftmax(rows(logits).div(tau), -1);
    const logA = F.logSoftmax(rows(targetLogits).div(tau), -1);
    return F.klDiv(logB, logA, { reduction: 'batchmean', logTarget: true }).mul(tau * tau);
  });
}

/**
 * The teacher's regularizer for one student: KLτ(p(s) ‖ p(t)), plus KLτ(p(t) ‖ p(s))
 * for the symmetric variants. `studentLogits` is the (usually detached) target.
 */
export function teacherKlTerm(variant: LossVariant, teacherLogits: Tensor, studentLogits: Tensor, tau: number): Tensor {
  checkVariant(variant);
  if (variant === 'symmetric_kl' || variant === 'symmetric_kl_ce') {
    return torch.tidy(() => klTau(studentLogits, teacherLogits, tau).add(klTau(teacherLogits, studentLogits, tau)));
  }
  return klTau(studentLogits, teacherLogits, tau);
}

/** The student's KL part: KLτ(p(t) ‖ p(s)), plus KLτ(p(s) ‖ p(t)) for the symmetric variants. */
export function studentKlTerm(variant: LossVariant, studentLogits: Tensor, teacherLogits: Tensor, tau: number): Tensor {
  checkVariant(variant);
  if (variant === 'symmetric_kl' || variant === 'symmetric_kl_ce') {
    return torch.tidy(() => klTau(teacherLogits, studentLogits, tau).add(klTau(studentLogits, teacherLogits, tau)));
  }
  return klTau(teacherLogits, studentLogits, tau);
}

/** Whether the student's loss includes the task loss (and α on its KL): kl_ce and symmetric_kl_ce. */
export const studentUsesTaskLoss = (variant: LossVariant): boolean => variant === 'kl_ce' || variant === 'symmetric_kl_ce';

export interface StudentLossParts {
  loss: Tensor;
  kl: Tensor;
  /** The student's task loss, or null for the KL-only variants. */
  task: Tensor | null;
}

/**
 * A student's loss: `task(s) + α·KL` for kl_ce / symmetric_kl_ce, the KL alone
 * (no task loss, no α) for kl / symmetric_kl. `teacherLogits` is usually detached.
 */
export function studentLoss(
  variant: LossVariant,
  studentLogits: Tensor,
  teacherLogits: Tensor,
  tau: number,
  alpha: number,
  taskLoss: () => Tensor,
): StudentLossParts {
  const kl = studentKlTerm(variant, studentLogits, teacherLogits, tau);
  if (!studentUsesTaskLoss(variant)) return { loss: kl, kl, task: null };
  const task = taskLoss();
  return { loss: task.add(kl, alpha), kl, task };
}

export function checkVariant(variant: string): asserts variant is LossVariant {
  if (!LOSS_VARIANTS.includes(variant as LossVariant)) {
    throw new Error(`unknown LoT loss variant '${variant}': use one of ${LOSS_VARIANTS.join(', ')}`);
  }
}

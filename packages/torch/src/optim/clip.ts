// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
import { noGrad } from '../autograd.js';
import { norm } from '../ops/math.js';
import { stack } from '../ops/shape.js';
import { tidy } from '../scope.js';
import { Tensor } from '../tensor.js';

type Parameters = Tensor | Iterable<Tensor> | { parameters(): Tensor[] };

function paramList(parameters: Parameters): Tensor[] {
  if (parameters instanceof Tensor) return [parameters];
  if (typeof (parameters as { parameters?: unknown }).parameters === 'function') return (parameters as { parameters(): Tensor[] }).parameters();
  return [...(parameters as Iterable<Tensor>)];
}

/**
 * Scales the gradients in place so that their total norm (all gradients seen
 * as one vector) is at most `maxNorm`; returns the total norm before clipping.
 * `normType` may be Infinity (the largest absolute value).
 */
export function clipGradNorm_(parameters: Parameters, maxNorm: number, normType = 2, errorIfNonfinite = false): number {
  return noGrad(() => tidy(() => {
    const grads = paramList(parameters).map((p) => p.grad).filter((g): g is Tensor => g !== null);
    if (grads.length === 0) return 0;
    const norms = grads.map((g) => norm(g, normType));
    const total = norm(stack(norms.map((n) => (n.device === norms[0].device ? n : n.to(norms[0].device)))), normType);
    const value = total.item();
    if (errorIfNonfinite && !Number.isFinite(value)) {
      throw new Error(`clipGradNorm_(): the total norm of order ${normType} for gradients from \`parameters\` is non-finite (${value}), so it cannot be clipped`);
    }
    // As PyTorch: max_norm / (total + 1e-6), clamped to 1, multiplies every gradient.
    const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1.0);
    for (const g of grads) g.mul_(coef.device === g.device ? coef : coef.to(g.device));
    return value;
  }));
}

/** Clamps every gradient in place to [-clipValue, clipValue]. */
export function clipGradValue_(parameters: Parameters, clipValue: number): void {
  noGrad(() => tidy(() => {
    for (const p of paramList(parameters)) p.grad?.clamp_(-clipValue, clipValue);
  }));
}

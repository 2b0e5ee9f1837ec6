// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
import { noGrad } from '../autograd.js';
import { norm } from '../ops/math.js';
import { stack } from '../ops/shape.js';
import { tidy } from '../scope.js';
import { Tensor } from '../tensor.js';

type Parameters = Tensor | Iterable<Tensor> | { parameters(): Tensor[] };

function paramList(parameters: Parameters): Tensor[] {
  if (parameters instanceof Tensor) return [parameters];
  if (typeof (parameters as { parameters?: unknown }).parameters === 'function')
    return (parameters as { parameters(): Tensor[] }).parameters();
  return [...(parameters as Iterable<Tensor>)];
}

/**
 * Scales the gradients in place so that their total norm (all gradients seen
 * as one vector) is at most `maxNorm`; returns the total norm before clipping.
 * `normType` may be Infinity (the largest absolute value).
 */
export function clipGradNorm_(parameters: Parameters, maxNorm: number, normType = 2, errorIfNonfinite = false): number {
  const params = paramList(parameters);
  return noGrad(() =>
    tidy(() => {
      // One parameter at a time, so only one gradient handle is live at once.
      const norms: Tensor[] = [];
      const withGrad: Tensor[] = [];
      for (const p of params) {
        const n = tidy(() => {
          const g = p.grad;
          return g ? norm(g, normType) : null;
        });
        if (n) {
          norms.push(n);
          withGrad.push(p);
        }
      }
      if (norms.length === 0) return 0;
      const device = norms[0].device;
      const total = norm(stack(norms.map((n) => (n.device === device ? n : n.to(device)))), normType);
      const value = total.item();
      if (errorIfNonfinite && !Number.isFinite(value)) {
        throw new Error(
          `clipGradNorm_(): the total norm of order ${normType} for gradients from \`parameters\` is non-finite (${value}), so it cannot be clipped`,
        );
      }
      // As PyTorch: max_norm / (total + 1e-6), clamped to 1, multiplies every gradient.
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1.0);
      for (const p of withGrad) {
        tidy(() => {
          const g = p.grad!;
          g.mul_(coef.device === g.device ? coef : coef.to(g.device));
        });
      }
      return value;
    }),
  );
}

/** Clamps every gradient in place to [-clipValue, clipValue]. */
export function clipGradValue_(parameters: Parameters, clipValue: number): void {
  noGrad(() => {
    for (const p of paramList(parameters)) {
      tidy(() => {
        p.grad?.clamp_(-clipValue, clipValue);
      });
    }
  });
}

// RMSprop, as torch.optim.RMSprop (its single-tensor path):
//   g = grad (negated when maximize) + weightDecay * p
//   v = alpha * v + (1 - alpha) * g * g
//   centered: m = lerp(m, g, 1 - alpha); avg = sqrt(v - m * m) + eps   else avg = sqrt(v) + eps
//   momentum > 0: buf = momentum * buf + g / avg; p -= lr * buf      else p -= lr * g / avg
import { zerosLike } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroup, type Params } from './optimizer.js';

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  protected readonly name = 'RMSprop';

  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...options });
  }

  protected override validateGroup(group: ParamGroup<RMSpropOptions>): void {
    super.validateGroup(group);
    if (!(group.eps >= 0)) throw new RangeError(`Invalid epsilon value: ${group.eps}`);
    if (!(group.momentum >= 0)) throw new RangeError(`Invalid momentum value: ${group.momentum}`);
    if (!(group.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${group.weightDecay}`);
    if (!(group.alpha >= 0)) throw new RangeError(`Invalid alpha value: ${group.alpha}`);
  }

  protected updateParam(p: Tensor, gradient: Tensor, group: ParamGroup<RMSpropOptions>): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    let grad = maximize ? gradient.neg() : gradient;
    const state = this.stateOf(p);
    if (state.step === undefined) {
      state.step = 0;
      state.squareAvg = this.own(zerosLike(p));
    }
    if (momentum > 0 && !state.momentumBuffer) state.momentumBuffer = this.own(zerosLike(p));
    if (centered && !state.gradAvg) state.gradAvg = this.own(zerosLike(p));
    state.step = (state.step as number) + 1;
    if (weightDecay !== 0) grad = grad.add(p, weightDecay);
    const squareAvg = state.squareAvg as Tensor;
    squareAvg.mul_(alpha).addcmul_(grad, grad, 1 - alpha);
    let avg: Tensor;
    if (centered) {
      const gradAvg = state.gradAvg as Tensor;
      gradAvg.lerp_(grad, 1 - alpha);
      avg = squareAvg.clone().addcmul_(gradAvg, gradAvg, -1).sqrt_();
    } else avg = squareAvg.sqrt();
    avg.add_(eps);
    if (momentum > 0) {
      const buf = state.momentumBuffer as Tensor;
      buf.mul_(momentum).addcdiv_(grad, avg);
      p.add_(buf, -lr);
    } else p.addcdiv_(grad, avg, -lr);
  }
}

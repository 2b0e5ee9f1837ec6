// Adam and AdamW, as torch.optim.Adam / AdamW (their single-tensor path):
//   step += 1
//   AdamW: p *= 1 - lr * weightDecay          Adam: g = grad + weightDecay * p
//   m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
//   amsgrad: vmax = max(vmax, v) and v := vmax below
//   p -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
import { maximum } from '../ops/math.js';
import { zerosLike } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroup, type Params } from './optimizer.js';

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  protected abstract readonly decoupledWeightDecay: boolean;

  protected override validateGroup(group: ParamGroup<AdamOptions>): void {
    super.validateGroup(group);
    if (!(group.eps >= 0)) throw new RangeError(`Invalid epsilon value: ${group.eps}`);
    const [b1, b2] = group.betas;
    if (!(b1 >= 0 && b1 < 1)) throw new RangeError(`Invalid beta parameter at index 0: ${b1}`);
    if (!(b2 >= 0 && b2 < 1)) throw new RangeError(`Invalid beta parameter at index 1: ${b2}`);
    if (!(group.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${group.weightDecay}`);
  }

  protected updateParam(p: Tensor, gradient: Tensor, group: ParamGroup<AdamOptions>): void {
    const { lr, eps, weightDecay, amsgrad, maximize } = group;
    const [beta1, beta2] = group.betas;
    let grad = maximize ? gradient.neg() : gradient;
    const state = this.stateOf(p);
    if (state.step === undefined) {
      state.step = 0;
      state.expAvg = this.own(zerosLike(p));
      state.expAvgSq = this.own(zerosLike(p));
    }
    if (amsgrad && !state.maxExpAvgSq) state.maxExpAvgSq = this.own(zerosLike(p));
    const expAvg = state.expAvg as Tensor;
    const expAvgSq = state.expAvgSq as Tensor;
    const step = (state.step as number) + 1;
    state.step = step;

    if (weightDecay !== 0) {
      if (this.decoupledWeightDecay) p.mul_(1 - lr * weightDecay);
      else grad = grad.add(p, weightDecay);
    }
    expAvg.lerp_(grad, 1 - beta1);
    expAvgSq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);

    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2 = 1 - beta2 ** step;
    const stepSize = lr / biasCorrection1;
    const biasCorrection2Sqrt = biasCorrection2 ** 0.5;
    let denom: Tensor;
    if (amsgrad) {
      const maxSq = state.maxExpAvgSq as Tensor;
      maxSq.copy_(maximum(maxSq, expAvgSq));
      denom = maxSq.sqrt().div(biasCorrection2Sqrt).add_(eps);
    } else {
      denom = expAvgSq.sqrt().div(biasCorrection2Sqrt).add_(eps);
    }
    p.addcdiv_(expAvg, denom, -stepSize);
  }
}

/** Adam (Kingma & Ba); weightDecay adds an L2 term to the gradient. */
export class Adam extends AdamBase {
  protected readonly name = 'Adam';
  protected readonly decoupledWeightDecay = false;

  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...options });
  }
}

/** AdamW (Loshchilov & Hutter): weight decay decoupled from the gradient, default 0.01. */
export class AdamW extends AdamBase {
  protected readonly name = 'AdamW';
  protected readonly decoupledWeightDecay = true;

  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, ...options });
  }
}

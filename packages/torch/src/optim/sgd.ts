// Stochastic gradient descent, as torch.optim.SGD (its single-tensor path):
//   g = grad (negated when maximize) + weightDecay * p
//   buf = g on the first step, else momentum * buf + (1 - dampening) * g
//   g = nesterov ? g + momentum * buf : buf          (when momentum != 0)
//   p -= lr * g
import type { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroup, type Params } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  protected readonly name = 'SGD';

  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...options });
  }

  protected override validateGroup(group: ParamGroup<SGDOptions>): void {
    super.validateGroup(group);
    if (!(group.momentum >= 0)) throw new RangeError(`Invalid momentum value: ${group.momentum}`);
    if (!(group.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${group.weightDecay}`);
    if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
      throw new RangeError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected updateParam(p: Tensor, gradient: Tensor, group: ParamGroup<SGDOptions>): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    let grad = maximize ? gradient.neg() : gradient;
    if (weightDecay !== 0) grad = grad.add(p, weightDecay);
    if (momentum !== 0) {
      const state = this.stateOf(p);
      let buf = state.momentumBuffer as Tensor | undefined;
      if (!buf) {
        buf = this.own(grad.detach().clone());
        state.momentumBuffer = buf;
      } else {
        buf.mul_(momentum).add_(grad, 1 - dampening);
      }
      grad = nesterov ? grad.add(buf, momentum) : buf;
    }
    p.add_(grad, -lr);
  }
}

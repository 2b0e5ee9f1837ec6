// Embedding, Dropout, pooling, activations and losses as modules.
import { noGrad } from '../autograd.js';
import { empty } from '../ops/creation.js';
import { logSoftmax, softmax, tanh, sigmoid } from '../ops/math.js';
import * as F from '../ops/nn.js';
import type { Tensor } from '../tensor.js';
import * as init from './init.js';
import type { FactoryOptions } from './linear.js';
import { Module } from './module.js';

/** A lookup table of numEmbeddings vectors of size embeddingDim; the paddingIdx row stays zero and gets no gradient. */
export class Embedding extends Module {
  declare weight: Tensor;
  readonly paddingIdx: number | null;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    o: FactoryOptions & { paddingIdx?: number | null; weight?: Tensor } = {},
  ) {
    super();
    let p = o.paddingIdx ?? null;
    if (p !== null) {
      if (p >= numEmbeddings || p < -numEmbeddings) throw new RangeError('Embedding: paddingIdx must be within numEmbeddings');
      if (p < 0) p += numEmbeddings;
    }
    this.paddingIdx = p;
    if (o.weight) {
      const s = o.weight.shape;
      if (s.length !== 2 || s[0] !== numEmbeddings || s[1] !== embeddingDim)
        throw new Error('Embedding: weight shape does not match numEmbeddings, embeddingDim');
      this.registerParameter('weight', o.weight);
    } else {
      this.registerParameter('weight', empty([numEmbeddings, embeddingDim], { dtype: o.dtype, device: o.device }));
      this.resetParameters();
    }
  }
  resetParameters(): void {
    init.normal_(this.weight);
    if (this.paddingIdx !== null) noGrad(() => this.weight.select(0, this.paddingIdx!).fill_(0).dispose());
  }
  forward(indices: Tensor): Tensor {
    return F.embedding(indices, this.weight, this.paddingIdx);
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}

/** Zeroes elements with probability p in training and scales the rest by 1/(1-p); the identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (p < 0 || p > 1) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}

type Pair = number | [number, number];
export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly o: F.PoolOptions & { dilation?: Pair } = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.o);
  }
}
export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly o: F.PoolOptions & { countIncludePad?: boolean } = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.o);
  }
}
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
}

// ---------------------------------------------------------------- activations

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, this.approximate);
  }
}
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.elu(x, this.alpha);
  }
}
export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.softplus(x, this.beta, this.threshold);
  }
}
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

// ---------------------------------------------------------------- losses

export class CrossEntropyLoss extends Module {
  constructor(readonly o: F.CrossEntropyOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, this.o);
  }
}
export class NLLLoss extends Module {
  constructor(readonly o: { weight?: Tensor | null; reduction?: F.Reduction; ignoreIndex?: number } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, this.o);
  }
}
export class MSELoss extends Module {
  constructor(readonly reduction: F.Reduction = 'mean') {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.reduction);
  }
}
export class SmoothL1Loss extends Module {
  constructor(readonly o: { reduction?: F.Reduction; beta?: number } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, this.o);
  }
}
export class BCEWithLogitsLoss extends Module {
  constructor(readonly o: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: F.Reduction } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, this.o);
  }
}

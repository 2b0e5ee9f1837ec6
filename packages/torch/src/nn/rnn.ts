// LSTM over ATen's fused kernel (aten::lstm), with PyTorch's parameter names.
import { empty, zeros } from '../ops/creation.js';
import * as F from '../ops/nn.js';
import type { Tensor } from '../tensor.js';
import * as init from './init.js';
import type { FactoryOptions } from './linear.js';
import { Module } from './module.js';

export interface LSTMOptions extends FactoryOptions {
  numLayers?: number;
  bias?: boolean;
  /** Input and output as [batch, seq, feature] instead of [seq, batch, feature]. */
  batchFirst?: boolean;
  /** Dropout on the outputs of each layer except the last, in training. */
  dropout?: number;
  bidirectional?: boolean;
}

/**
 * A multi-layer LSTM. forward(input, [h0, c0]?) returns [output, [h, c]] as
 * PyTorch: output [seq, batch, D·hidden] (batch first with batchFirst), h and c
 * [D·numLayers, batch, hidden]. Unbatched input [seq, feature] works too.
 */
export class LSTM extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  private readonly flatNames: string[] = [];
  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    o: LSTMOptions = {},
  ) {
    super();
    this.numLayers = o.numLayers ?? 1;
    this.bias = o.bias ?? true;
    this.batchFirst = o.batchFirst ?? false;
    this.dropout = o.dropout ?? 0;
    this.bidirectional = o.bidirectional ?? false;
    if (this.dropout < 0 || this.dropout > 1) throw new RangeError('LSTM: dropout should be a number in [0, 1]');
    if (this.dropout > 0 && this.numLayers === 1) {
      process.emitWarning(`LSTM: dropout ${this.dropout} only applies between layers, but numLayers is 1`);
    }
    const f = { dtype: o.dtype, device: o.device };
    const dirs = this.bidirectional ? 2 : 1;
    const gate = 4 * hiddenSize;
    for (let layer = 0; layer < this.numLayers; ++layer) {
      for (let d = 0; d < dirs; ++d) {
        const layerInput = layer === 0 ? inputSize : hiddenSize * dirs;
        const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        const names = [`weight_ih${suffix}`, `weight_hh${suffix}`];
        this.registerParameter(names[0], empty([gate, layerInput], f));
        this.registerParameter(names[1], empty([gate, hiddenSize], f));
        if (this.bias) {
          names.push(`bias_ih${suffix}`, `bias_hh${suffix}`);
          this.registerParameter(names[2], empty([gate], f));
          this.registerParameter(names[3], empty([gate], f));
        }
        this.flatNames.push(...names);
      }
    }
    this.resetParameters();
  }
  /** The parameters in the fused kernel's order: per layer and direction w_ih, w_hh, b_ih, b_hh. */
  get flatWeights(): Tensor[] {
    return this.flatNames.map((n) => this.getRegistered(n) as Tensor);
  }

  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1 / Math.sqrt(this.hiddenSize) : 0;
    for (const w of this.parameters()) init.uniform_(w, -stdv, stdv);
  }

  forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const dirs = this.bidirectional ? 2 : 1;
    const batched = input.ndim === 3;
    if (!batched && input.ndim !== 2) throw new Error(`LSTM: expected input to be 2D or 3D, got ${input.ndim}D instead`);
    let x = input;
    let h0: Tensor, c0: Tensor;
    const temps: Tensor[] = [];
    if (!batched) {
      x = input.unsqueeze(this.batchFirst ? 0 : 1);
      temps.push(x);
    }
    const feature = x.shape[2];
    if (feature !== this.inputSize)
      throw new Error(`LSTM: input.size(-1) must be equal to inputSize. Expected ${this.inputSize}, got ${feature}`);
    const batch = x.shape[this.batchFirst ? 0 : 1];
    const stateShape = [this.numLayers * dirs, batch, this.hiddenSize];
    if (hx) {
      [h0, c0] = hx;
      if (!batched) {
        if (h0.ndim !== 2 || c0.ndim !== 2) throw new Error('LSTM: for unbatched 2-D input, hx and cx should also be 2-D');
        h0 = h0.unsqueeze(1);
        c0 = c0.unsqueeze(1);
        temps.push(h0, c0);
      }
      for (const [name, t] of [
        ['h0', h0],
        ['c0', c0],
      ] as const) {
        const s = t.shape;
        if (s.length !== 3 || s.some((v, i) => v !== stateShape[i])) {
          throw new Error(`LSTM: expected ${name} of shape [${stateShape.join(', ')}], got [${s.join(', ')}]`);
        }
      }
    } else {
      const w = this.flatWeights[0];
      h0 = zeros(stateShape, { dtype: w.dtype, device: w.device });
      c0 = zeros(stateShape, { dtype: w.dtype, device: w.device });
      temps.push(h0, c0);
    }
    let { output, h, c } = F.lstm(x, [h0, c0], this.flatWeights, {
      hasBiases: this.bias,
      numLayers: this.numLayers,
      dropout: this.dropout,
      training: this.training,
      bidirectional: this.bidirectional,
      batchFirst: this.batchFirst,
    });
    for (const t of temps) t.dispose();
    if (!batched) {
      const [o2, h2, c2] = [output.squeeze(this.batchFirst ? 0 : 1), h.squeeze(1), c.squeeze(1)];
      output.dispose();
      h.dispose();
      c.dispose();
      [output, h, c] = [o2, h2, c2];
    }
    return [output, [h, c]];
  }
  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += ', bias=False';
    if (this.batchFirst) s += ', batch_first=True';
    if (this.dropout) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += ', bidirectional=True';
    return s;
  }
}

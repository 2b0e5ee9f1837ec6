// MultiheadAttention, TransformerEncoderLayer and TransformerEncoder, with
// PyTorch's parameter names (in_proj_weight, out_proj.weight, self_attn.*, ...).
import { empty, full } from '../ops/creation.js';
import { add, where } from '../ops/math.js';
import * as F from '../ops/nn.js';
import { callOperator } from '../dispatch.js';
import { getRngState, setRngState } from '../runtime.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import * as init from './init.js';
import { Dropout } from './layers.js';
import { type FactoryOptions, Linear } from './linear.js';
import { Module } from './module.js';
import { ModuleList } from './container.js';
import { LayerNorm } from './normalization.js';

export interface MultiheadAttentionOptions extends FactoryOptions {
  dropout?: number;
  bias?: boolean;
  batchFirst?: boolean;
  kdim?: number;
  vdim?: number;
}

export interface AttentionCallOptions {
  /** [N, S]: true (or -inf) marks keys to ignore. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true, as PyTorch); false takes the fused scaled-dot-product path. */
  needWeights?: boolean;
  /** [L, S] or [N·heads, L, S]: true (or -inf) marks pairs not allowed to attend; floats are added. */
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
  /** Apply a causal mask (built here when attnMask is not given). */
  isCausal?: boolean;
}

/**
 * Returns `next` and frees `old`, an intermediate this code made and no longer
 * needs: its memory is reused right away, as PyTorch's reference counting does
 * (holding intermediates until the end of a scope costs page faults on big models).
 */
function swap(old: Tensor, next: Tensor): Tensor {
  if (next !== old) old.dispose();
  return next;
}
function swapAll(old: Tensor, next: Tensor[]): Tensor[] {
  old.dispose();
  return next;
}

/** A float mask (0 or -inf, or the given floats) from a boolean or float one. */
function floatMask(mask: Tensor, dtype: Tensor['dtype']): Tensor {
  if (mask.dtype === 'bool') return where(mask, -Infinity, 0).to(dtype);
  return mask;
}

/** Multi-head attention as torch.nn.MultiheadAttention. forward returns [output, weights or null]. */
export class MultiheadAttention extends Module {
  declare in_proj_weight: Tensor | null;
  declare in_proj_bias: Tensor | null;
  declare q_proj_weight: Tensor | null;
  declare k_proj_weight: Tensor | null;
  declare v_proj_weight: Tensor | null;
  declare out_proj: Linear;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly kdim: number;
  readonly vdim: number;
  private readonly sameEmbedDim: boolean;
  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    o: MultiheadAttentionOptions = {},
  ) {
    super();
    this.kdim = o.kdim ?? embedDim;
    this.vdim = o.vdim ?? embedDim;
    this.sameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    this.dropout = o.dropout ?? 0;
    this.batchFirst = o.batchFirst ?? false;
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) throw new Error('MultiheadAttention: embedDim must be divisible by numHeads');
    const f = { dtype: o.dtype, device: o.device };
    const bias = o.bias ?? true;
    if (this.sameEmbedDim) {
      this.registerParameter('in_proj_weight', empty([3 * embedDim, embedDim], f));
    } else {
      this.registerParameter('q_proj_weight', empty([embedDim, embedDim], f));
      this.registerParameter('k_proj_weight', empty([embedDim, this.kdim], f));
      this.registerParameter('v_proj_weight', empty([embedDim, this.vdim], f));
    }
    this.registerParameter('in_proj_bias', bias ? empty([3 * embedDim], f) : null);
    this.registerModule('out_proj', new Linear(embedDim, embedDim, bias, f));
    this.resetParameters();
  }
  resetParameters(): void {
    if (this.sameEmbedDim) init.xavierUniform_(this.in_proj_weight!);
    else {
      init.xavierUniform_(this.q_proj_weight!);
      init.xavierUniform_(this.k_proj_weight!);
      init.xavierUniform_(this.v_proj_weight!);
    }
    if (this.in_proj_bias) {
      init.zeros_(this.in_proj_bias);
      init.zeros_(this.out_proj.bias!);
    }
  }

  forward(query: Tensor, key: Tensor, value: Tensor, o: AttentionCallOptions = {}): [Tensor, Tensor | null] {
    return tidy(() => this.attend(query, key, value, o));
  }

  private attend(query: Tensor, key: Tensor, value: Tensor, o: AttentionCallOptions): [Tensor, Tensor | null] {
    const needWeights = o.needWeights ?? true;
    const unbatched = query.ndim === 2;
    if (!unbatched && query.ndim !== 3)
      throw new Error(`MultiheadAttention: query should be unbatched 2D or batched 3D, got ${query.ndim}D`);
    const E = this.embedDim,
      H = this.numHeads,
      D = this.headDim;
    // Work in [L, N, E] and follow PyTorch's op sequence (F.multi_head_attention_forward).
    const toLNE = (t: Tensor): Tensor => (unbatched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t);
    const qIn = toLNE(query);
    const kIn = key === query ? qIn : toLNE(key);
    const vIn = value === key ? kIn : toLNE(value);
    const [L, N, Eq] = qIn.shape;
    if (Eq !== E) throw new Error(`MultiheadAttention: expected query embedding dim ${E}, got ${Eq}`);
    const S = kIn.shape[0];
    // Packed projections are split into contiguous q, k, v as PyTorch does.
    const unpack = (proj: Tensor, n: number, len: number): Tensor[] => {
      let t = swap(proj, proj.view(len, N, n, E));
      t = swap(t, t.permute(2, 0, 1, 3));
      t = swap(t, t.contiguous());
      return swapAll(t, t.unbind(0));
    };
    let q: Tensor, k: Tensor, v: Tensor;
    const b = this.in_proj_bias;
    if (this.sameEmbedDim) {
      const w = this.in_proj_weight!;
      if (query === key && key === value) {
        [q, k, v] = unpack(F.linear(qIn, w, b), 3, L);
      } else {
        const [wq, wkv] = w.split([E, 2 * E]);
        const [bq, bkv] = b ? b.split([E, 2 * E]) : [null, null];
        q = F.linear(qIn, wq, bq);
        if (key === value) {
          [k, v] = unpack(F.linear(kIn, wkv, bkv), 2, S);
        } else {
          const [wk, wv] = wkv.chunk(2);
          const [bk, bv] = bkv ? bkv.chunk(2) : [null, null];
          k = F.linear(kIn, wk, bk);
          v = F.linear(vIn, wv, bv);
        }
      }
    } else {
      const [bq, bk, bv] = b ? b.chunk(3) : [null, null, null];
      q = F.linear(qIn, this.q_proj_weight!, bq);
      k = F.linear(kIn, this.k_proj_weight!, bk);
      v = F.linear(vIn, this.v_proj_weight!, bv);
    }
    // [L, N, E] -> [N, H, L, D] (views)
    const heads = (t: Tensor, len: number): Tensor => {
      const w = swap(t, t.view(len, N, H, D));
      return swap(w, w.permute(1, 2, 0, 3));
    };
    q = heads(q, L);
    k = heads(k, S);
    v = heads(v, S);

    // One additive mask broadcastable to [N, H, L, S], or none.
    let mask: Tensor | null = null;
    let causalHint = false;
    const dtype = q.dtype;
    if (o.attnMask) {
      const m = floatMask(o.attnMask, dtype);
      if (m.ndim === 2) mask = m.view(1, 1, L, S);
      else if (m.ndim === 3) mask = m.view(N, H, L, S);
      else throw new Error(`MultiheadAttention: attnMask must be 2D or 3D, got ${m.ndim}D`);
    } else if (o.isCausal) {
      if (!o.keyPaddingMask && !needWeights) causalHint = true;
      else mask = callOperator('aten::triu', full([L, S], -Infinity, { dtype, device: q.device }), 1) as Tensor;
    }
    if (o.keyPaddingMask) {
      const kpm = floatMask(o.keyPaddingMask, dtype);
      if (kpm.ndim !== 2 && !(unbatched && kpm.ndim === 1)) throw new Error('MultiheadAttention: keyPaddingMask must be [N, S]');
      const k4 = kpm.view(N, 1, 1, S);
      mask = mask ? add(mask, k4) : k4;
    }
    const p = this.training ? this.dropout : 0;
    let out: Tensor;
    let weights: Tensor | null = null;
    if (!needWeights) {
      out = F.scaledDotProductAttention(q, k, v, { attnMask: mask, dropoutP: p, isCausal: causalHint });
      q.dispose();
      k.dispose();
      v.dispose();
    } else {
      let scores = q.mul(1 / Math.sqrt(D)).matmul(k.transpose(-2, -1));
      if (mask) scores = scores.add(mask);
      let attn = scores.softmax(-1);
      if (p > 0) attn = F.dropout(attn, p, true);
      out = attn.matmul(v);
      weights = (o.averageAttnWeights ?? true) ? attn.mean(1) : attn;
      if (unbatched) weights = weights.squeeze(0);
    }
    // [N, H, L, D] -> [L·N, E] -> output projection -> [L, N, E] -> the caller's layout
    out = swap(out, out.permute(2, 0, 1, 3));
    out = swap(out, out.contiguous());
    out = swap(out, out.view(L * N, E));
    let y = swap(out, this.out_proj.forward(out));
    y = swap(y, y.view(L, N, E));
    if (unbatched) y = y.squeeze(1);
    else if (this.batchFirst) y = y.transpose(0, 1);
    return [y, weights];
  }
  override extraRepr(): string {
    return '';
  }
}

export type Activation = 'relu' | 'gelu' | ((x: Tensor) => Tensor) | Module;

export interface TransformerEncoderLayerOptions extends FactoryOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: Activation;
  layerNormEps?: number;
  batchFirst?: boolean;
  /** Pre-norm (LayerNorm before attention and feed-forward) instead of post-norm. */
  normFirst?: boolean;
  bias?: boolean;
}

export interface EncoderCallOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
}

/** Self-attention and feed-forward blocks with residuals, as torch.nn.TransformerEncoderLayer. */
export class TransformerEncoderLayer extends Module {
  declare self_attn: MultiheadAttention;
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  readonly normFirst: boolean;
  private readonly activationFn: (x: Tensor) => Tensor;
  private readonly options: TransformerEncoderLayerOptions;
  constructor(
    readonly dModel: number,
    readonly nhead: number,
    o: TransformerEncoderLayerOptions = {},
  ) {
    super();
    this.options = { ...o };
    const f = { dtype: o.dtype, device: o.device };
    const p = o.dropout ?? 0.1;
    const bias = o.bias ?? true;
    const ff = o.dimFeedforward ?? 2048;
    const eps = o.layerNormEps ?? 1e-5;
    this.registerModule('self_attn', new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: o.batchFirst ?? false, ...f }));
    this.registerModule('linear1', new Linear(dModel, ff, bias, f));
    this.registerModule('dropout', new Dropout(p));
    this.registerModule('linear2', new Linear(ff, dModel, bias, f));
    this.normFirst = o.normFirst ?? false;
    this.registerModule('norm1', new LayerNorm(dModel, { eps, bias, ...f }));
    this.registerModule('norm2', new LayerNorm(dModel, { eps, bias, ...f }));
    this.registerModule('dropout1', new Dropout(p));
    this.registerModule('dropout2', new Dropout(p));
    const act = o.activation ?? 'relu';
    if (act === 'relu') this.activationFn = F.relu;
    else if (act === 'gelu') this.activationFn = (x) => F.gelu(x);
    else if (act instanceof Module) {
      this.registerModule('activation', act);
      this.activationFn = (x) => act.forward(x);
    } else if (typeof act === 'function') this.activationFn = act;
    else throw new Error(`TransformerEncoderLayer: activation should be 'relu', 'gelu', a function or a Module, not '${String(act)}'`);
  }

  /** A new layer with the same configuration and a copy of this one's parameters (PyTorch's deepcopy). */
  clone(): TransformerEncoderLayer {
    const o = this.options;
    if (o.activation instanceof Module)
      throw new Error('TransformerEncoderLayer.clone: cannot copy a Module activation; pass a factory to TransformerEncoder');
    // The copy's own initialization must not consume random numbers (PyTorch deep-copies).
    const rng = getRngState();
    let c: TransformerEncoderLayer;
    try {
      c = new TransformerEncoderLayer(this.dModel, this.nhead, o);
    } finally {
      setRngState(rng);
      rng.dispose();
    }
    c.loadStateDict(this.stateDict({ keepVars: true }));
    c.train(this.training);
    return c;
  }

  forward(src: Tensor, o: EncoderCallOptions = {}): Tensor {
    return tidy(() => {
      // Intermediates are freed as soon as they are used (see swap).
      if (this.normFirst) {
        let a = this.norm1.forward(src);
        a = swap(a, this.saBlock(a, o));
        const x = swap(a, add(src, a));
        let b = this.norm2.forward(x);
        b = swap(b, this.ffBlock(b));
        b = swap(b, add(x, b));
        x.dispose();
        return b;
      }
      let a = this.saBlock(src, o);
      a = swap(a, add(src, a));
      const x = swap(a, this.norm1.forward(a));
      let b = this.ffBlock(x);
      b = swap(b, add(x, b));
      x.dispose();
      return swap(b, this.norm2.forward(b));
    });
  }
  private saBlock(x: Tensor, o: EncoderCallOptions): Tensor {
    const [y] = this.self_attn.forward(x, x, x, {
      attnMask: o.srcMask,
      keyPaddingMask: o.srcKeyPaddingMask,
      needWeights: false,
      isCausal: o.isCausal,
    });
    return swap(y, this.dropout1.forward(y));
  }
  private ffBlock(x: Tensor): Tensor {
    let h = this.linear1.forward(x);
    h = swap(h, this.activationFn(h));
    h = swap(h, this.dropout.forward(h));
    h = swap(h, this.linear2.forward(h));
    return swap(h, this.dropout2.forward(h));
  }
}

/** A stack of encoder layers (layers.0, layers.1, ...) and an optional final norm. */
export class TransformerEncoder extends Module {
  declare layers: ModuleList;
  declare norm: Module | undefined;
  readonly numLayers: number;
  /**
   * `layer` is copied numLayers times (same initial weights, as PyTorch's deepcopy),
   * or, given a factory, each layer is made fresh.
   */
  constructor(layer: TransformerEncoderLayer | (() => Module), numLayers: number, o: { norm?: Module | null } = {}) {
    super();
    this.numLayers = numLayers;
    const list: Module[] = [];
    for (let i = 0; i < numLayers; ++i) list.push(layer instanceof TransformerEncoderLayer ? layer.clone() : layer());
    this.registerModule('layers', new ModuleList(list));
    if (o.norm) this.registerModule('norm', o.norm);
  }
  forward(src: Tensor, o: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {}): Tensor {
    return tidy(() => {
      let x = src;
      for (const layer of this.layers) {
        const y = layer.forward(x, { srcMask: o.mask, srcKeyPaddingMask: o.srcKeyPaddingMask, isCausal: o.isCausal });
        x = x === src ? y : swap(x, y);
      }
      const norm = this.getRegistered('norm') as Module | undefined;
      return norm && x !== src ? swap(x, norm.forward(x)) : norm ? norm.forward(x) : x;
    });
  }
}

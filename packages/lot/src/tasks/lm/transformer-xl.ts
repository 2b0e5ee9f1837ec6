// Transformer-XL language model (Dai et al. 2019) as the LoT reference trains it: the original
// "relative partial-learnable" attention with post-LayerNorm, a recurrence memory, tied output
// embedding with its own bias and a full softmax (docs/METHOD.md#transformer-xl and
// #transformer-xl-presets; TRANSFORMER-XL.md next to this file).
//
// Parameter names are those of the reference's MemTransformerLM (model/mem_transformer.py of
// github.com/jincan333/LoT, attn_type 0, div_val 1, no cutoffs, d_embed = d_model, tie_weight,
// pre_lnorm False, sample_softmax -1), so a state dict maps one to one, in both directions:
//
//   | our state dict key (= MemTransformerLM's)      | shape                     | what                            |
//   |-----------------------------------------------|---------------------------|---------------------------------|
//   | r_w_bias                                      | [n_head, d_head]          | u, content bias                 |
//   | r_r_bias                                      | [n_head, d_head]          | v, position bias                |
//   | word_emb.emb_layers.0.weight                  | [n_token, d_model]        | word embedding (tied)           |
//   | layers.{i}.dec_attn.qkv_net.weight            | [3·n_head·d_head, d]      | q, k, v projection (rows q|k|v) |
//   | layers.{i}.dec_attn.o_net.weight              | [d, n_head·d_head]        | output projection               |
//   | layers.{i}.dec_attn.layer_norm.weight, .bias  | [d]                       | LayerNorm(h + attn)             |
//   | layers.{i}.dec_attn.r_net.weight              | [n_head·d_head, d]        | position projection             |
//   | layers.{i}.pos_ff.CoreNet.0.weight, .bias     | [d_inner, d], [d_inner]   | feed-forward in                 |
//   | layers.{i}.pos_ff.CoreNet.3.weight, .bias     | [d, d_inner], [d]         | feed-forward out                |
//   | layers.{i}.pos_ff.layer_norm.weight, .bias    | [d]                       | LayerNorm(x + ff)               |
//   | crit.out_layers.0.weight                      | [n_token, d_model]        | = word_emb.emb_layers.0.weight  |
//   | crit.out_layers.0.bias                        | [n_token]                 | output bias                     |
//   | pos_emb.inv_freq (persistent buffer)          | [d_model / 2]             | 1/10000^(2i/d_model)            |
//
// Both tied keys are in the state dict (as in PyTorch's); the tensor is one parameter, counted
// once. MemTransformerLM's empty ParameterLists (word_emb.emb_projs, crit.out_projs) hold
// nothing in this configuration. Keys come in the same order as Python's state_dict() and
// parameters() in the same order as its parameters(). So `model.load_state_dict(ours)` works in
// Python (strict) and `loadStateDict(theirs)` here, with no renaming.
//
// Layouts are the reference's: hidden states and memories are time-major [len, batch, d_model];
// logits are [len·batch, n_token] with row t·batch + b.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';

const nn = torch.nn;
const F = torch.nn.functional;

export interface TransformerXLOptions {
  /** Vocabulary size. */
  nToken: number;
  nLayer?: number;
  dModel?: number;
  nHead?: number;
  dHead?: number;
  /** Feed-forward inner size. */
  dInner?: number;
  /** Dropout on embeddings, positions, attention output, feed-forward and the last layer's output. */
  dropout?: number;
  /** Dropout on the attention probabilities. */
  dropAtt?: number;
  /** Training segment length (informational: any input length works). */
  tgtLen?: number;
  /** Memory length: how many past hidden states per stream the next segment sees (0: no memory). */
  memLen?: number;
}

export type TransformerXLConfig = Required<TransformerXLOptions>;

/** PTB (docs/METHOD.md#transformer-xl-presets): 4 layers, d_model 200, 8 heads of 20, d_inner 1000, dropout 0.25, dropatt 0, segment = memory = 70. */
export const TRANSFORMER_XL_PTB: Omit<TransformerXLConfig, 'nToken'> = {
  nLayer: 4,
  dModel: 200,
  nHead: 8,
  dHead: 20,
  dInner: 1000,
  dropout: 0.25,
  dropAtt: 0,
  tgtLen: 70,
  memLen: 70,
};

/** WikiText-103 (docs/METHOD.md#transformer-xl-presets): 4 layers, d_model 410, 12 heads of 41, d_inner 2100, dropout 0.1, dropatt 0, segment = memory = 100. */
export const TRANSFORMER_XL_WT103: Omit<TransformerXLConfig, 'nToken'> = {
  nLayer: 4,
  dModel: 410,
  nHead: 12,
  dHead: 41,
  dInner: 2100,
  dropout: 0.1,
  dropAtt: 0,
  tgtLen: 100,
  memLen: 100,
};

/** The initialization's standard deviation (the reference's init_std). */
export const INIT_STD = 0.02;

/** Returns `next` and frees `old`, an intermediate no longer needed here (autograd keeps what it saved). */
function swap(old: Tensor, next: Tensor): Tensor {
  if (next !== old) old.dispose();
  return next;
}

/**
 * The relative shift of Transformer-XL over the last two dimensions of x [..., qlen, klen]:
 * pad a zero column in front, read the [qlen, klen+1] block as [klen+1, qlen], drop its first
 * row and read the rest as [qlen, klen]. Where key j is visible to query i (j ≤ i + klen − qlen)
 * the result is x[..., i, j + qlen − 1 − i], the score for distance klen − qlen + i − j; the
 * other entries are what the reference's _rel_shift leaves there (masked anyway).
 */
export function relShift(x: Tensor): Tensor {
  const shape = x.shape;
  const q = shape[shape.length - 2]!;
  const k = shape[shape.length - 1]!;
  const lead = shape.slice(0, -2);
  return torch.tidy(() => {
    let t = F.pad(x, [1, 0]);
    t = swap(t, t.view(...lead, k + 1, q));
    t = swap(t, t.narrow(-2, 1, k));
    return swap(t, t.view(...lead, q, k));
  });
}

/** The causal mask [qlen, klen]: true where key j is in the future of query i (j > i + mlen). */
export function causalMask(qlen: number, mlen: number, device?: string): Tensor {
  return torch.tidy(() => {
    const keys = torch.arange(0, qlen + mlen, 1, { dtype: 'int64', device }).view(1, qlen + mlen);
    const queries = torch.arange(mlen, qlen + mlen, 1, { dtype: 'int64', device }).view(qlen, 1);
    return keys.gt(queries);
  });
}

export interface RelAttentionWeights {
  /** qkv_net.weight [3·H·D, d] */
  qkv: Tensor;
  /** r_net.weight [H·D, d] */
  r: Tensor;
  /** o_net.weight [d, H·D] */
  o: Tensor;
  lnWeight: Tensor | null;
  lnBias: Tensor | null;
}

export interface RelAttentionArgs {
  /** Current hidden states [qlen, batch, d]. */
  h: Tensor;
  /** Memory [mlen, batch, d] or null. */
  mem: Tensor | null;
  /** Position embeddings [klen, d] for distances klen−1 … 0. */
  pos: Tensor;
  /** u = r_w_bias [H, D] and v = r_r_bias [H, D]. */
  rwBias: Tensor;
  rrBias: Tensor;
  /** Boolean [qlen, klen], true = not allowed; null for none. */
  mask: Tensor | null;
  weights: RelAttentionWeights;
  nHead: number;
  dHead: number;
  dropout: number;
  dropAtt: number;
  training: boolean;
  eps?: number;
}

/**
 * One relative partial-learnable attention block, post-norm: LayerNorm(h + Dropout(O·Attn)),
 * scores = ((q+u)·k + relShift((q+v)·r)) / √D over keys cat(mem, h). A function of its
 * tensors (the module passes its parameters) so that gradients can be checked input by input.
 */
export function relPartialLearnableAttention(a: RelAttentionArgs): Tensor {
  return torch.tidy(() => {
    const { h, pos, nHead: H, dHead: D } = a;
    const [qlen, bsz, d] = h.shape as [number, number, number];
    const mlen = a.mem ? a.mem.shape[0]! : 0;
    const klen = mlen + qlen;
    const HD = H * D;
    const cat = mlen > 0 ? torch.cat([a.mem!, h], 0) : h;
    // One projection to q, k, v; q is only needed for the current segment's rows.
    const [wq, wk, wv] = a.weights.qkv.split(HD, 0) as [Tensor, Tensor, Tensor];
    let q = F.linear(h, wq);
    let k = F.linear(cat, wk);
    let v = F.linear(cat, wv);
    if (cat !== h) cat.dispose();
    q = swap(q, q.view(qlen, bsz, H, D));
    q = swap(q, q.permute(1, 2, 0, 3)); // [B, H, q, D]
    k = swap(k, k.view(klen, bsz, H, D));
    k = swap(k, k.permute(1, 2, 3, 0)); // [B, H, D, k]
    v = swap(v, v.view(klen, bsz, H, D));
    v = swap(v, v.permute(1, 2, 0, 3)); // [B, H, k, D]
    let r = F.linear(pos, a.weights.r);
    r = swap(r, r.view(klen, H, D));
    r = swap(r, r.permute(1, 2, 0)); // [H, D, k]

    // Content term (q + u)·k and position term (q + v)·r, shifted to relative distances.
    const qu = q.add(a.rwBias.view(H, 1, D));
    const ac = swap(qu, qu.matmul(k));
    k.dispose();
    let qv = swap(q, q.add(a.rrBias.view(H, 1, D)));
    qv = swap(qv, torch.einsum('bhid,hdj->bhij', qv, r));
    r.dispose();
    const bd = swap(qv, relShift(qv));
    let score = swap(ac, ac.add(bd));
    bd.dispose();
    score = swap(score, score.mul(1 / Math.sqrt(D)));
    if (a.mask) score = swap(score, score.maskedFill(a.mask, Number.NEGATIVE_INFINITY));
    let prob = swap(score, score.softmax(-1));
    prob = swap(prob, F.dropout(prob, a.dropAtt, a.training && a.dropAtt > 0));

    let out = swap(prob, prob.matmul(v)); // [B, H, q, D]
    v.dispose();
    out = swap(out, out.permute(2, 0, 1, 3));
    out = swap(out, out.contiguous());
    out = swap(out, out.view(qlen, bsz, HD));
    out = swap(out, F.linear(out, a.weights.o));
    out = swap(out, F.dropout(out, a.dropout, a.training && a.dropout > 0));
    out = swap(out, h.add(out));
    return swap(out, F.layerNorm(out, [d], a.weights.lnWeight, a.weights.lnBias, a.eps ?? 1e-5));
  });
}

// ------------------------------------------------------------------ modules (the reference's structure)

/** The reference's AdaptiveEmbedding with div_val 1 and d_embed = d_model: one table, scaled by √d_model. */
export class AdaptiveEmbedding extends nn.Module {
  declare emb_layers: torch.nn.ModuleList;
  readonly embScale: number;
  constructor(nToken: number, dModel: number) {
    super();
    this.registerModule('emb_layers', new nn.ModuleList([new nn.Embedding(nToken, dModel)]));
    this.embScale = Math.sqrt(dModel);
  }
  get weight(): Tensor {
    return (this.emb_layers.at(0) as torch.nn.Embedding).weight;
  }
  forward(input: Tensor): Tensor {
    const e = F.embedding(input, this.weight);
    return swap(e, e.mul(this.embScale));
  }
}

/** Sinusoids [sin | cos] of distance × inverse frequency 1/10000^(2i/d). */
export class PositionalEmbedding extends nn.Module {
  declare inv_freq: Tensor;
  constructor(readonly demb: number) {
    super();
    const invFreq = torch.tidy(() => {
      const expo = torch.arange(0, demb, 2, { dtype: 'float32' }).div(demb);
      return torch.full(expo.shape, 10000).pow(expo).reciprocal();
    });
    // Persistent, as in the reference (its state dict holds pos_emb.inv_freq).
    this.registerBuffer('inv_freq', invFreq);
  }
  /** [len, demb] for the given positions (a float vector). */
  forward(posSeq: Tensor): Tensor {
    return torch.tidy(() => {
      const inp = torch.outer(posSeq, this.inv_freq);
      return torch.cat([inp.sin(), inp.cos()], -1);
    });
  }
}

export class RelPartialLearnableMultiHeadAttn extends nn.Module {
  declare qkv_net: torch.nn.Linear;
  declare drop: torch.nn.Dropout;
  declare dropatt: torch.nn.Dropout;
  declare o_net: torch.nn.Linear;
  declare layer_norm: torch.nn.LayerNorm;
  declare r_net: torch.nn.Linear;
  constructor(
    readonly nHead: number,
    readonly dModel: number,
    readonly dHead: number,
    dropout: number,
    dropAtt: number,
  ) {
    super();
    // Registration order as the reference's (qkv_net, drop, dropatt, o_net, layer_norm, r_net).
    this.registerModule('qkv_net', new nn.Linear(dModel, 3 * nHead * dHead, false));
    this.registerModule('drop', new nn.Dropout(dropout));
    this.registerModule('dropatt', new nn.Dropout(dropAtt));
    this.registerModule('o_net', new nn.Linear(nHead * dHead, dModel, false));
    this.registerModule('layer_norm', new nn.LayerNorm(dModel));
    this.registerModule('r_net', new nn.Linear(dModel, nHead * dHead, false));
  }
  forward(h: Tensor, pos: Tensor, rwBias: Tensor, rrBias: Tensor, mask: Tensor | null, mem: Tensor | null): Tensor {
    return relPartialLearnableAttention({
      h,
      mem,
      pos,
      rwBias,
      rrBias,
      mask,
      weights: {
        qkv: this.qkv_net.weight,
        r: this.r_net.weight,
        o: this.o_net.weight,
        lnWeight: this.layer_norm.weight,
        lnBias: this.layer_norm.bias,
      },
      nHead: this.nHead,
      dHead: this.dHead,
      dropout: this.drop.p,
      dropAtt: this.dropatt.p,
      training: this.training,
      eps: this.layer_norm.eps,
    });
  }
}

/** LayerNorm(x + Dropout(W2 · Dropout(ReLU(W1 x + b1)) + b2)). */
export class PositionwiseFF extends nn.Module {
  declare CoreNet: torch.nn.Sequential;
  declare layer_norm: torch.nn.LayerNorm;
  constructor(dModel: number, dInner: number, dropout: number) {
    super();
    this.registerModule(
      'CoreNet',
      new nn.Sequential(
        new nn.Linear(dModel, dInner),
        new nn.ReLU(),
        new nn.Dropout(dropout),
        new nn.Linear(dInner, dModel),
        new nn.Dropout(dropout),
      ),
    );
    this.registerModule('layer_norm', new nn.LayerNorm(dModel));
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      let y = x;
      for (const m of this.CoreNet) y = y === x ? m.forward(y) : swap(y, m.forward(y));
      y = swap(y, x.add(y));
      return swap(y, this.layer_norm.forward(y));
    });
  }
}

export class RelPartialLearnableDecoderLayer extends nn.Module {
  declare dec_attn: RelPartialLearnableMultiHeadAttn;
  declare pos_ff: PositionwiseFF;
  constructor(nHead: number, dModel: number, dHead: number, dInner: number, dropout: number, dropAtt: number) {
    super();
    this.registerModule('dec_attn', new RelPartialLearnableMultiHeadAttn(nHead, dModel, dHead, dropout, dropAtt));
    this.registerModule('pos_ff', new PositionwiseFF(dModel, dInner, dropout));
  }
  forward(h: Tensor, pos: Tensor, rwBias: Tensor, rrBias: Tensor, mask: Tensor | null, mem: Tensor | null): Tensor {
    return torch.tidy(() => {
      const a = this.dec_attn.forward(h, pos, rwBias, rrBias, mask, mem);
      return swap(a, this.pos_ff.forward(a));
    });
  }
}

/** The output layer: the tied embedding weight and its own bias (the reference's crit.out_layers[0]). */
export class TiedOutput extends nn.Module {
  declare weight: Tensor;
  declare bias: Tensor;
  constructor(weight: Tensor, nToken: number) {
    super();
    this.registerParameter('weight', weight);
    this.registerParameter('bias', torch.zeros([nToken], { dtype: weight.dtype, device: weight.device }));
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

/** The reference's ProjectedAdaptiveLogSoftmax without clusters or projections: a full softmax over one output layer. */
export class FullSoftmaxHead extends nn.Module {
  declare out_layers: torch.nn.ModuleList;
  constructor(tiedWeight: Tensor, nToken: number) {
    super();
    this.registerModule('out_layers', new nn.ModuleList([new TiedOutput(tiedWeight, nToken)]));
  }
  /** Logits [rows, n_token] from hidden states [rows, d_model]. */
  forward(hidden: Tensor): Tensor {
    return (this.out_layers.at(0) as TiedOutput).forward(hidden);
  }
}

export interface TransformerXLOutput {
  /** [len·batch, n_token], time-major rows (row t·batch + b). */
  logits: Tensor;
  /** n_layer + 1 detached tensors [min(mem_len, mlen + len), batch, d_model] (empty when mem_len is 0). */
  mems: Tensor[];
}

/** Transformer-XL (MemTransformerLM, attn_type 0) with the reference's parameter names. */
export class TransformerXL extends nn.Module {
  declare word_emb: AdaptiveEmbedding;
  declare drop: torch.nn.Dropout;
  declare layers: torch.nn.ModuleList;
  declare crit: FullSoftmaxHead;
  declare pos_emb: PositionalEmbedding;
  declare r_w_bias: Tensor;
  declare r_r_bias: Tensor;
  readonly config: TransformerXLConfig;

  constructor(o: TransformerXLOptions) {
    super();
    const c: TransformerXLConfig = { ...TRANSFORMER_XL_PTB, ...o };
    for (const [k, v] of Object.entries(c)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw new Error(`TransformerXL: ${k} must be a non-negative number, got ${String(v)}`);
    }
    for (const k of ['nToken', 'nLayer', 'dModel', 'nHead', 'dHead', 'dInner'] as const) {
      if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`TransformerXL: ${k} must be a positive integer, got ${c[k]}`);
    }
    if (!Number.isInteger(c.memLen)) throw new Error(`TransformerXL: memLen must be an integer, got ${c.memLen}`);
    if (c.dModel % 2 !== 0) throw new Error(`TransformerXL: dModel must be even (sin | cos positions), got ${c.dModel}`);
    if (c.dropout > 1 || c.dropAtt > 1) throw new Error('TransformerXL: dropout probabilities must be at most 1');
    this.config = Object.freeze(c);
    // Registration order as the reference's: word_emb, drop, layers, crit, then pos_emb and the biases.
    this.registerModule('word_emb', new AdaptiveEmbedding(c.nToken, c.dModel));
    this.registerModule('drop', new nn.Dropout(c.dropout));
    const layers: torch.nn.Module[] = [];
    for (let i = 0; i < c.nLayer; ++i)
      layers.push(new RelPartialLearnableDecoderLayer(c.nHead, c.dModel, c.dHead, c.dInner, c.dropout, c.dropAtt));
    this.registerModule('layers', new nn.ModuleList(layers));
    this.registerModule('crit', new FullSoftmaxHead(this.word_emb.weight, c.nToken));
    this.registerModule('pos_emb', new PositionalEmbedding(c.dModel));
    this.registerParameter('r_w_bias', torch.empty([c.nHead, c.dHead]));
    this.registerParameter('r_r_bias', torch.empty([c.nHead, c.dHead]));
    this.resetParameters();
  }

  /**
   * The reference's weights_init (init 'normal', init_std 0.02): linear and embedding weights
   * N(0, 0.02), biases 0, LayerNorm weights N(1, 0.02), u and v N(0, 0.02). Draws from the
   * global generator: seed it first.
   */
  resetParameters(): void {
    torch.noGrad(() => {
      for (const m of this.modules()) {
        if (m instanceof nn.Linear) {
          m.weight.normal_(0, INIT_STD);
          m.bias?.zero_();
        } else if (m instanceof nn.LayerNorm) {
          m.weight?.normal_(1, INIT_STD);
          m.bias?.zero_();
        } else if (m instanceof TiedOutput) {
          m.bias.zero_();
        }
      }
      this.word_emb.weight.normal_(0, INIT_STD);
      this.r_w_bias.normal_(0, INIT_STD);
      this.r_r_bias.normal_(0, INIT_STD);
    });
  }

  /** A fresh start: n_layer + 1 empty memories (forward treats them as no memory, as it does null). */
  initMems(batch = 1): Tensor[] {
    const w = this.r_w_bias;
    const out: Tensor[] = [];
    if (this.config.memLen > 0) {
      for (let i = 0; i <= this.config.nLayer; ++i)
        out.push(torch.empty([0, batch, this.config.dModel], { dtype: w.dtype, device: w.device }));
    }
    return out;
  }

  /** The language-model interface the LoT task uses: the memories are the recurrent state. */
  step(input: Tensor, state: Tensor[] | null): { logits: Tensor; state: Tensor[] } {
    const out = this.forward(input, state);
    return { logits: out.logits, state: out.mems };
  }

  /**
   * Logits for input [len, batch] (int64) given the memories of the previous segment (null,
   * initMems() or [] for a fresh start), and the memories for the next one (detached).
   */
  forward(input: Tensor, mems: Tensor[] | null = null): TransformerXLOutput {
    const c = this.config;
    if (input.ndim !== 2) throw new Error(`TransformerXL: input must be [len, batch], got [${input.shape.join(', ')}]`);
    if (input.dtype !== 'int64') throw new Error(`TransformerXL: input must be int64 token ids, got ${input.dtype}`);
    const [qlen, bsz] = input.shape as [number, number];
    const useMem = c.memLen > 0 && mems !== null && mems.length > 0;
    if (useMem && mems.length !== c.nLayer + 1) throw new Error(`TransformerXL: expected ${c.nLayer + 1} memories, got ${mems.length}`);
    const mlen = useMem ? mems[0]!.shape[0]! : 0;
    if (useMem && mlen > 0) {
      for (const [i, m] of mems.entries()) {
        const s = m.shape;
        if (s.length !== 3 || s[0] !== mlen || s[1] !== bsz || s[2] !== c.dModel)
          throw new Error(`TransformerXL: memory ${i} must be [${mlen}, ${bsz}, ${c.dModel}], got [${s.join(', ')}]`);
      }
    }
    const klen = mlen + qlen;
    return torch.tidy(() => {
      const dtype = this.r_w_bias.dtype;
      const device = this.r_w_bias.device;
      const mask = causalMask(qlen, mlen, device);
      let pos = this.pos_emb.forward(torch.arange(klen - 1, -1, -1, { dtype, device }));
      pos = swap(pos, this.drop.forward(pos));
      let core = this.word_emb.forward(input);
      core = swap(core, this.drop.forward(core));

      const newMems: Tensor[] = [];
      const remember = (hid: Tensor, i: number): void => {
        if (c.memLen === 0) return;
        newMems.push(this.updateMem(useMem && mlen > 0 ? mems![i]! : null, hid, mlen, qlen));
      };
      remember(core, 0);
      for (let i = 0; i < c.nLayer; ++i) {
        const layer = this.layers.at(i) as RelPartialLearnableDecoderLayer;
        const next = layer.forward(core, pos, this.r_w_bias, this.r_r_bias, mask, useMem && mlen > 0 ? mems![i]! : null);
        core = swap(core, next);
        remember(core, i + 1);
      }
      pos.dispose();
      mask.dispose();
      core = swap(core, this.drop.forward(core));
      core = swap(core, core.view(qlen * bsz, c.dModel));
      const logits = swap(core, this.crit.forward(core));
      return { logits, mems: newMems };
    });
  }

  /** The last mem_len rows of cat(mem, hid), detached (the reference's _update_mems with ext_len 0). */
  private updateMem(mem: Tensor | null, hid: Tensor, mlen: number, qlen: number): Tensor {
    const end = mlen + qlen;
    const beg = Math.max(0, end - this.config.memLen);
    return torch.noGrad(() =>
      torch.tidy(() => {
        if (beg >= mlen || !mem) return hid.detach().narrow(0, beg - mlen, end - beg);
        return torch.cat([mem, hid.detach()], 0).narrow(0, beg, end - beg);
      }),
    );
  }

  override extraRepr(): string {
    const c = this.config;
    return `n_token=${c.nToken}, n_layer=${c.nLayer}, d_model=${c.dModel}, n_head=${c.nHead}, d_head=${c.dHead}, d_inner=${c.dInner}, dropout=${c.dropout}, dropatt=${c.dropAtt}, tgt_len=${c.tgtLen}, mem_len=${c.memLen}`;
  }
}

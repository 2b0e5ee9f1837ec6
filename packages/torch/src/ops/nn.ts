// Functional neural-network ops (torch.nn.functional): layers, activations, losses.
import { callTensor, callTensors, handles } from '../dispatch.js';
import { lazyOp } from '../op-registry.js';
import type { Tensor } from '../tensor.js';

const op = lazyOp;
type Pair = number | [number, number];
export type Reduction = 'none' | 'mean' | 'sum';
const reductionCode = (r: Reduction): number => {
  const code = { none: 0, mean: 1, sum: 2 }[r];
  if (code === undefined) throw new Error(`reduction must be 'none', 'mean' or 'sum', got '${String(r)}'`);
  return code;
};

const linearOp = op('aten::linear');
export const linear = (input: Tensor, weight: Tensor, bias?: Tensor | null) =>
  callTensor(linearOp(), input.handle, weight.handle, bias?.handle ?? null);

export interface ConvOptions {
  stride?: Pair;
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
}
const conv2dOp = op('aten::conv2d');
const conv2dPad = op('aten::conv2d.padding');
const conv1dOp = op('aten::conv1d');
const conv1dPad = op('aten::conv1d.padding');
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, o: ConvOptions = {}): Tensor {
  const id = typeof o.padding === 'string' ? conv2dPad() : conv2dOp();
  return callTensor(id, input.handle, weight.handle, bias?.handle ?? null, o.stride ?? 1, o.padding ?? 0, o.dilation ?? 1, o.groups ?? 1);
}
export function conv1d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  o: { stride?: number; padding?: number | 'same' | 'valid'; dilation?: number; groups?: number } = {},
): Tensor {
  const id = typeof o.padding === 'string' ? conv1dPad() : conv1dOp();
  return callTensor(id, input.handle, weight.handle, bias?.handle ?? null, o.stride ?? 1, o.padding ?? 0, o.dilation ?? 1, o.groups ?? 1);
}

export interface PoolOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}
const maxPool2dOp = op('aten::max_pool2d');
const avgPool2dOp = op('aten::avg_pool2d');
const adaptiveAvgOp = op('aten::adaptive_avg_pool2d');
const adaptiveMaxOp = op('aten::adaptive_max_pool2d');
export const maxPool2d = (input: Tensor, kernelSize: Pair, o: PoolOptions & { dilation?: Pair } = {}) =>
  callTensor(maxPool2dOp(), input.handle, kernelSize, o.stride ?? [], o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false);
export const avgPool2d = (input: Tensor, kernelSize: Pair, o: PoolOptions & { countIncludePad?: boolean } = {}) =>
  callTensor(avgPool2dOp(), input.handle, kernelSize, o.stride ?? [], o.padding ?? 0, o.ceilMode ?? false, o.countIncludePad ?? true, null);
export const adaptiveAvgPool2d = (input: Tensor, outputSize: Pair) => callTensor(adaptiveAvgOp(), input.handle, outputSize);
export const adaptiveMaxPool2d = (input: Tensor, outputSize: Pair) => callTensors(adaptiveMaxOp(), input.handle, outputSize)[0];

const batchNormOp = op('aten::batch_norm');
/** As torch.nn.functional.batch_norm: in training, normalizes by batch statistics and updates the running ones in place. */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  o: { weight?: Tensor | null; bias?: Tensor | null; training?: boolean; momentum?: number; eps?: number } = {},
): Tensor {
  return callTensor(
    batchNormOp(),
    input.handle,
    o.weight?.handle ?? null,
    o.bias?.handle ?? null,
    runningMean?.handle ?? null,
    runningVar?.handle ?? null,
    o.training ?? false,
    o.momentum ?? 0.1,
    o.eps ?? 1e-5,
    true,
  );
}
const layerNormOp = op('aten::layer_norm');
export const layerNorm = (input: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5) =>
  callTensor(layerNormOp(), input.handle, normalizedShape, weight?.handle ?? null, bias?.handle ?? null, eps, true);

const dropoutOp = op('aten::dropout');
export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`dropout probability must be in [0, 1], got ${p}`);
  return callTensor(dropoutOp(), input.handle, p, training);
}
const embeddingOp = op('aten::embedding');
export const embedding = (input: Tensor, weight: Tensor, paddingIdx?: number | null) =>
  callTensor(embeddingOp(), weight.handle, input.handle, paddingIdx ?? -1, false, false);

const lstmOp = op('aten::lstm.input');
export interface LstmOptions {
  hasBiases?: boolean;
  numLayers: number;
  dropout?: number;
  training?: boolean;
  bidirectional?: boolean;
  batchFirst?: boolean;
}
/**
 * ATen's fused LSTM. `params` is the flat list per layer (and direction):
 * w_ih, w_hh, b_ih, b_hh. Returns the output sequence and the final h and c.
 */
export function lstm(input: Tensor, hx: [Tensor, Tensor], params: Tensor[], o: LstmOptions): { output: Tensor; h: Tensor; c: Tensor } {
  const [output, h, c] = callTensors(
    lstmOp(),
    input.handle,
    handles(hx),
    handles(params),
    o.hasBiases ?? true,
    o.numLayers,
    o.dropout ?? 0,
    o.training ?? false,
    o.bidirectional ?? false,
    o.batchFirst ?? false,
  );
  return { output, h, c };
}

const sdpaOp = op('aten::scaled_dot_product_attention');
export interface AttentionOptions {
  attnMask?: Tensor | null;
  dropoutP?: number;
  isCausal?: boolean;
  scale?: number | null;
}
export const scaledDotProductAttention = (q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions = {}) =>
  callTensor(sdpaOp(), q.handle, k.handle, v.handle, o.attnMask?.handle ?? null, o.dropoutP ?? 0, o.isCausal ?? false, o.scale ?? null);

const unary = (name: string) => {
  const id = op(name);
  return (x: Tensor) => callTensor(id(), x.handle);
};
export const relu = unary('aten::relu');
export const silu = unary('aten::silu');
export const logSigmoid = unary('aten::log_sigmoid');
const geluOp = op('aten::gelu');
export const gelu = (x: Tensor, approximate: 'none' | 'tanh' = 'none') => callTensor(geluOp(), x.handle, approximate);
const leakyReluOp = op('aten::leaky_relu');
export const leakyRelu = (x: Tensor, negativeSlope = 0.01) => callTensor(leakyReluOp(), x.handle, negativeSlope);
const eluOp = op('aten::elu');
export const elu = (x: Tensor, alpha = 1) => callTensor(eluOp(), x.handle, alpha);
const softplusOp = op('aten::softplus');
export const softplus = (x: Tensor, beta = 1, threshold = 20) => callTensor(softplusOp(), x.handle, beta, threshold);
const hardtanhOp = op('aten::hardtanh');
export const hardtanh = (x: Tensor, min = -1, max = 1) => callTensor(hardtanhOp(), x.handle, min, max);

const crossEntropyOp = op('aten::cross_entropy_loss');
export interface CrossEntropyOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}
/** Cross entropy of logits against class indices (int64) or class probabilities (float), as torch.nn.functional.cross_entropy. */
export const crossEntropy = (input: Tensor, target: Tensor, o: CrossEntropyOptions = {}) =>
  callTensor(
    crossEntropyOp(),
    input.handle,
    target.handle,
    o.weight?.handle ?? null,
    reductionCode(o.reduction ?? 'mean'),
    o.ignoreIndex ?? -100,
    o.labelSmoothing ?? 0,
  );
const nllLossOp = op('aten::nll_loss');
export const nllLoss = (input: Tensor, target: Tensor, o: { weight?: Tensor | null; reduction?: Reduction; ignoreIndex?: number } = {}) =>
  callTensor(
    nllLossOp(),
    input.handle,
    target.handle,
    o.weight?.handle ?? null,
    reductionCode(o.reduction ?? 'mean'),
    o.ignoreIndex ?? -100,
  );
const klDivOp = op('aten::kl_div');
const divScalarOp = op('aten::div.Scalar');
/**
 * KL(target ‖ input) with `input` given as log-probabilities, as torch.nn.functional.kl_div;
 * reduction 'batchmean' divides the sum by the first dimension (the mathematically correct mean).
 */
export function klDiv(input: Tensor, target: Tensor, o: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  const reduction = o.reduction ?? 'mean';
  if (reduction === 'batchmean') {
    const total = callTensor(klDivOp(), input.handle, target.handle, reductionCode('sum'), o.logTarget ?? false);
    const batch = input.ndim > 0 ? input.shape[0] : 1;
    const out = callTensor(divScalarOp(), total.handle, batch);
    total.dispose();
    return out;
  }
  return callTensor(klDivOp(), input.handle, target.handle, reductionCode(reduction), o.logTarget ?? false);
}
const mseOp = op('aten::mse_loss');
export const mseLoss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean') =>
  callTensor(mseOp(), input.handle, target.handle, reductionCode(reduction));
const smoothL1Op = op('aten::smooth_l1_loss');
export const smoothL1Loss = (input: Tensor, target: Tensor, o: { reduction?: Reduction; beta?: number } = {}) =>
  callTensor(smoothL1Op(), input.handle, target.handle, reductionCode(o.reduction ?? 'mean'), o.beta ?? 1);
const bceLogitsOp = op('aten::binary_cross_entropy_with_logits');
export const binaryCrossEntropyWithLogits = (
  input: Tensor,
  target: Tensor,
  o: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
) =>
  callTensor(
    bceLogitsOp(),
    input.handle,
    target.handle,
    o.weight?.handle ?? null,
    o.posWeight?.handle ?? null,
    reductionCode(o.reduction ?? 'mean'),
  );

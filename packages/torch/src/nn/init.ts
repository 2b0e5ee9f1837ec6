// torch.nn.init: in-place initializers, each as PyTorch's (same formulas and the
// same random draws, so a seeded init matches PyTorch's). They run without
// gradient recording and return the tensor.
import { noGrad } from '../autograd.js';
import { callOperator } from '../dispatch.js';
import { empty } from '../ops/creation.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import '../tensor-methods.js';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';
export type FanMode = 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';

/** The recommended gain for a nonlinearity (leaky_relu takes its negative slope, 0.01 by default). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number | null): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || Number.isNaN(slope)) throw new Error(`negative_slope ${String(param)} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/** [fanIn, fanOut] of a weight: size(1)·receptive field and size(0)·receptive field. */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  const shape = t.shape;
  if (shape.length < 2) throw new Error('fan in and fan out can not be computed for a tensor with fewer than 2 dimensions');
  let receptive = 1;
  for (let i = 2; i < shape.length; ++i) receptive *= shape[i];
  return [shape[1] * receptive, shape[0] * receptive];
}

function fan(t: Tensor, mode: FanMode): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  if (mode === 'fanIn' || mode === 'fan_in') return fanIn;
  if (mode === 'fanOut' || mode === 'fan_out') return fanOut;
  throw new Error(`mode '${String(mode)}' not supported, use 'fanIn' or 'fanOut'`);
}

export const uniform_ = (t: Tensor, a = 0, b = 1): Tensor => noGrad(() => t.uniform_(a, b));
export const normal_ = (t: Tensor, mean = 0, std = 1): Tensor => noGrad(() => t.normal_(mean, std));
export const constant_ = (t: Tensor, value: number): Tensor => noGrad(() => t.fill_(value));
export const zeros_ = (t: Tensor): Tensor => noGrad(() => t.zero_());
export const ones_ = (t: Tensor): Tensor => noGrad(() => t.fill_(1));

/** Fills a 2-D tensor with the identity (as torch.nn.init.eye_). */
export function eye_(t: Tensor): Tensor {
  if (t.ndim !== 2) throw new Error('eye_: only 2-D tensors are supported');
  return noGrad(() =>
    tidy(() => {
      const [n, m] = t.shape;
      t.copy_(callOperator('aten::eye.m', n, m) as Tensor);
      return t;
    }),
  );
}

export interface KaimingOptions {
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/** He initialization, uniform in ±gain·sqrt(3/fan). Defaults: a = 0, fanIn, leaky_relu (as PyTorch). */
export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  if (t.numel() === 0) return t;
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  const std = gain / Math.sqrt(fan(t, o.mode ?? 'fanIn'));
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound);
}

/** He initialization, normal with std gain/sqrt(fan). */
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  if (t.numel() === 0) return t;
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  const std = gain / Math.sqrt(fan(t, o.mode ?? 'fanIn'));
  return normal_(t, 0, std);
}

/** Glorot initialization, uniform in ±gain·sqrt(6/(fanIn+fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  const a = Math.sqrt(3) * std;
  return uniform_(t, -a, a);
}

/** Glorot initialization, normal with std gain·sqrt(2/(fanIn+fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/** A (semi-)orthogonal matrix times gain, from the QR decomposition of a normal draw (as PyTorch). */
export function orthogonal_(t: Tensor, gain = 1): Tensor {
  if (t.ndim < 2) throw new Error('orthogonal_: only tensors with 2 or more dimensions are supported');
  if (t.numel() === 0) return t;
  const rows = t.shape[0];
  const cols = t.numel() / rows;
  return noGrad(() =>
    tidy(() => {
      let flat = empty([rows, cols], { dtype: t.dtype, device: t.device }).normal_(0, 1);
      if (rows < cols) flat = flat.t();
      const [q0, r] = callOperator('aten::linalg_qr', flat, 'reduced') as Tensor[];
      const d = callOperator('aten::diag', r, 0) as Tensor;
      let q = q0.mul(d.sign());
      if (rows < cols) q = q.t();
      t.view(q.shape).copy_(q);
      t.mul_(gain);
      return t;
    }),
  );
}

/** Normal draws redrawn until inside [a, b] (as torch.nn.init.trunc_normal_, by the inverse CDF). */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  const normCdf = (x: number) => (1 + erf(x / Math.SQRT2)) / 2;
  const l = normCdf((a - mean) / std);
  const u = normCdf((b - mean) / std);
  return noGrad(() => {
    t.uniform_(2 * l - 1, 2 * u - 1);
    callOperator('aten::erfinv_', t);
    t.mul_(std * Math.SQRT2).add_(mean);
    t.clamp_(a, b);
    return t;
  });
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse for bounds; use a series/continued fraction via Math functions.
  const sign = Math.sign(x);
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.5 * ax);
  const y =
    1 -
    t *
      Math.exp(
        -ax * ax -
          1.26551223 +
          t *
            (1.00002368 +
              t *
                (0.37409196 +
                  t *
                    (0.09678418 +
                      t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      );
  return sign * y;
}

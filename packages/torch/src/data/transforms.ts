// Seeded batch transforms (torchvision-style) with two identical
// implementations: tensor ops on a batch (the in-thread path) and TypedArray
// code (array-ops.ts, run by the worker threads). For the same seed both give
// the same numbers, bit for bit.
import { isFloatingDType } from '../dtype.js';
import { tensor } from '../ops/creation.js';
import { div, sub } from '../ops/math.js';
import { expand, gather, index, pad, to } from '../ops/shape.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import {
  type ArrayBatch,
  type TransformSpec,
  applyArrayTransforms,
  channelParams,
  checkImageShape,
  drawCropOffsets,
  drawFlips,
  stepRng,
} from './array-ops.js';
import type { Rng } from './random.js';

/**
 * A pipeline of built-in transforms applied to a whole batch (NCHW images,
 * or any [N, ..., H, W] layout). Random transforms draw per sample from a
 * seeded generator: `apply(batch, seed)` is a pure function of its inputs.
 * Inside a DataLoader the seed comes from (loader seed, epoch, batch index,
 * field), so the result does not depend on the number of workers.
 */
export class Transform {
  readonly specs: readonly TransformSpec[];
  constructor(specs: readonly TransformSpec[]) {
    this.specs = Object.freeze([...specs]);
  }

  /** This pipeline followed by `next`. */
  // biome-ignore lint/suspicious/noThenProperty: chaining pipelines, as torchvision users expect; a Transform is never awaited
  then(...next: Transform[]): Transform {
    return new Transform([...this.specs, ...next.flatMap((t) => t.specs)]);
  }

  /** Applies the pipeline with tensor ops; returns a new tensor (the input is not changed or disposed). */
  apply(batch: Tensor, seed = 0): Tensor {
    return tidy(() => {
      let x = batch;
      this.specs.forEach((spec, k) => {
        x = applyTensorTransform(x, spec, stepRng(seed, k));
      });
      return x === batch ? index(batch, '...') : x;
    });
  }

  /** The same pipeline on a TypedArray batch (what worker threads run). */
  applyArray(batch: ArrayBatch, seed = 0): ArrayBatch {
    return applyArrayTransforms(batch, this.specs, seed);
  }

  toString(): string {
    return `Transform(${this.specs.map((s) => s.kind).join(' -> ')})`;
  }
}

const positiveInt = (v: number, what: string) => {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`);
  return v;
};

/** Chains transforms into one pipeline. */
export const compose = (...transforms: Transform[]): Transform => new Transform(transforms.flatMap((t) => t.specs));

/** Integer (or float) data to float32 in [0, 1]: x / max. */
export function toFloat(max = 255): Transform {
  if (!(max > 0) || !Number.isFinite(max)) throw new RangeError(`toFloat: max must be a positive number, got ${max}`);
  return new Transform([{ kind: 'toFloat', divisor: max, offset: 0 }]);
}

/** Integer (or float) data in [0, max] to float32 in [-1, 1]: x / (max / 2) - 1. */
export function toSymmetric(max = 255): Transform {
  if (!(max > 0) || !Number.isFinite(max)) throw new RangeError(`toSymmetric: max must be a positive number, got ${max}`);
  return new Transform([{ kind: 'toFloat', divisor: max / 2, offset: 1 }]);
}

/** (x - mean[c]) / std[c] per channel (dimension 1), as torchvision's Normalize; needs a float batch. */
export function normalize(mean: number | number[], std: number | number[]): Transform {
  const m = typeof mean === 'number' ? [mean] : [...mean];
  const s = typeof std === 'number' ? [std] : [...std];
  if (m.length === 0 || s.length === 0) throw new Error('normalize: mean and std need at least one value');
  if (s.some((v) => !(v !== 0) || !Number.isFinite(v)))
    throw new RangeError(`normalize: std must be finite and non-zero, got [${s.join(', ')}]`);
  return new Transform([{ kind: 'normalize', mean: m, std: s }]);
}

/**
 * Pads every image by `padding` zeros on each side, then cuts a `size` crop at
 * a random position per sample (torchvision's RandomCrop(size, padding)).
 */
export function randomCrop(size: number | [number, number], options: { padding?: number } | number = {}): Transform {
  const [height, width] = typeof size === 'number' ? [size, size] : size;
  const padding = typeof options === 'number' ? options : (options.padding ?? 0);
  positiveInt(height, 'randomCrop: height');
  positiveInt(width, 'randomCrop: width');
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`randomCrop: padding must be a non-negative integer, got ${padding}`);
  return new Transform([{ kind: 'randomCrop', height, width, padding }]);
}

/** Mirrors each image left-right with probability p. */
export function randomHorizontalFlip(p = 0.5): Transform {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  return new Transform([{ kind: 'randomHorizontalFlip', p }]);
}

// ---- the tensor implementation ----

function applyTensorTransform(x: Tensor, spec: TransformSpec, rng: Rng): Tensor {
  switch (spec.kind) {
    case 'toFloat': {
      let y = div(to(x, 'float32'), Math.fround(spec.divisor));
      if (spec.offset !== 0) y = sub(y, Math.fround(spec.offset));
      return y;
    }
    case 'normalize': {
      if (!isFloatingDType(x.dtype)) throw new Error(`normalize: needs a float batch, got ${x.dtype}; put toFloat() before it`);
      const shape = x.shape;
      const channels = shape.length > 1 ? shape[1] : 1;
      const { mean, std } = channelParams(spec.mean, spec.std, channels);
      const bshape = shape.map((_, i) => (i === 1 ? channels : 1));
      // Tensors (not scalars), so libtorch divides exactly as the array code does.
      const m = tensor(Float32Array.from(mean), { shape: bshape });
      const s = tensor(Float32Array.from(std), { shape: bshape });
      return div(sub(x, m), s);
    }
    case 'randomCrop': {
      const shape = x.shape;
      checkImageShape('randomCrop', shape);
      const nd = shape.length;
      const n = shape[0];
      const offsets = drawCropOffsets(rng, n, shape[nd - 2], shape[nd - 1], spec);
      const p = spec.padding;
      const padded = p > 0 ? pad(x, [p, p, p, p]) : x;
      const rows = new Int32Array(n * spec.height);
      const cols = new Int32Array(n * spec.width);
      for (let s = 0; s < n; ++s) {
        for (let y = 0; y < spec.height; ++y) rows[s * spec.height + y] = offsets[2 * s] + y;
        for (let c = 0; c < spec.width; ++c) cols[s * spec.width + c] = offsets[2 * s + 1] + c;
      }
      return gatherImages(padded, rows, spec.height, cols, spec.width);
    }
    case 'randomHorizontalFlip': {
      const shape = x.shape;
      checkImageShape('randomHorizontalFlip', shape);
      const nd = shape.length;
      const [n, H, W] = [shape[0], shape[nd - 2], shape[nd - 1]];
      const flips = drawFlips(rng, n, spec.p);
      if (!flips.some((f) => f === 1)) return x;
      const rows = new Int32Array(n * H);
      const cols = new Int32Array(n * W);
      for (let s = 0; s < n; ++s) {
        for (let y = 0; y < H; ++y) rows[s * H + y] = y;
        for (let c = 0; c < W; ++c) cols[s * W + c] = flips[s] ? W - 1 - c : c;
      }
      return gatherImages(x, rows, H, cols, W);
    }
  }
}

/**
 * out[s, m.., y, c] = x[s, m.., rows[s, y], cols[s, c]], as two gathers with
 * broadcast (stride-0) index tensors: rows first, then columns.
 */
function gatherImages(x: Tensor, rows: Int32Array, h: number, cols: Int32Array, w: number): Tensor {
  const shape = x.shape;
  const nd = shape.length;
  const n = shape[0];
  const long = (values: Int32Array, s: number[]) => to(tensor(values, { shape: s }), 'int64');
  const at = (sizes: Record<number, number>) => shape.map((_, i) => sizes[i] ?? 1);
  let y = x;
  if (!isIdentity(rows, n, h, shape[nd - 2])) {
    const rowIdx = expand(long(rows, at({ 0: n, [nd - 2]: h })), [...shape.slice(0, nd - 2), h, shape[nd - 1]]);
    y = gather(y, nd - 2, rowIdx);
  }
  if (!isIdentity(cols, n, w, shape[nd - 1])) {
    const colIdx = expand(long(cols, at({ 0: n, [nd - 1]: w })), [...shape.slice(0, nd - 2), h, w]);
    y = gather(y, nd - 1, colIdx);
  }
  return y;
}

/** True when every sample's index list is 0..size-1 (nothing to gather). */
function isIdentity(idx: Int32Array, n: number, len: number, size: number): boolean {
  if (len !== size) return false;
  for (let s = 0; s < n; ++s) for (let i = 0; i < len; ++i) if (idx[s * len + i] !== i) return false;
  return true;
}

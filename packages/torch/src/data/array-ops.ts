// Batches as plain TypedArrays: gathering rows and the built-in transforms.
// This module imports nothing from libtorch, so worker threads can run it.
// Its arithmetic matches the tensor implementation in transforms.ts bit for
// bit: float32 results are rounded after every operation, as libtorch's
// float32 kernels do (JavaScript computes in float64, and rounding a float64
// sum, difference, product or quotient of two float32 values gives the
// correctly rounded float32 result).
import { Rng, fieldSeed, seedFor } from './random.js';

/** Element types a batch field can have (bool is stored as Uint8Array). */
export type ArrayDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'bool';
export type AnyTypedArray = Uint8Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

export interface ArrayBatch {
  data: AnyTypedArray;
  dtype: ArrayDType;
  /** Full shape, batch dimension first. */
  shape: number[];
}

/** The built-in transforms, as plain data (they travel to worker threads). */
export type TransformSpec =
  | { kind: 'toFloat'; divisor: number; offset: number }
  | { kind: 'normalize'; mean: number[]; std: number[] }
  | { kind: 'randomCrop'; height: number; width: number; padding: number }
  | { kind: 'randomHorizontalFlip'; p: number };

export function allocLike(dtype: ArrayDType, length: number, shared = false): AnyTypedArray {
  const bytes = length * bytesPerElement(dtype);
  const buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  return viewOf(dtype, buffer);
}

export function bytesPerElement(dtype: ArrayDType): number {
  switch (dtype) {
    case 'uint8':
    case 'int8':
    case 'bool':
      return 1;
    case 'int16':
      return 2;
    case 'int32':
    case 'float32':
      return 4;
    case 'int64':
    case 'float64':
      return 8;
  }
}

export function viewOf(dtype: ArrayDType, buffer: ArrayBufferLike, byteOffset = 0, length?: number): AnyTypedArray {
  switch (dtype) {
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer, byteOffset, length);
    case 'int8':
      return new Int8Array(buffer, byteOffset, length);
    case 'int16':
      return new Int16Array(buffer, byteOffset, length);
    case 'int32':
      return new Int32Array(buffer, byteOffset, length);
    case 'int64':
      return new BigInt64Array(buffer, byteOffset, length);
    case 'float32':
      return new Float32Array(buffer, byteOffset, length);
    case 'float64':
      return new Float64Array(buffer, byteOffset, length);
  }
}

/** Rows `indices` of a row-major array whose rows hold `rowSize` elements. */
export function gatherRows(src: AnyTypedArray, dtype: ArrayDType, rowSize: number, indices: ArrayLike<number>): AnyTypedArray {
  const out = allocLike(dtype, indices.length * rowSize);
  const rows = src.length / Math.max(rowSize, 1);
  for (let k = 0; k < indices.length; ++k) {
    const r = indices[k];
    if (!(r >= 0 && r < rows)) throw new RangeError(`index ${r} is out of range for a dataset of ${rows} items`);
    (out as Uint8Array).set((src as Uint8Array).subarray(r * rowSize, (r + 1) * rowSize), k * rowSize);
  }
  return out;
}

// ---- random parameters: drawn identically for the tensor and the array paths ----

/** The generator for step `step` of a transform pipeline applied with `seed`. */
export const stepRng = (seed: number, step: number): Rng => new Rng(seedFor(seed, step));

/** Per-sample crop offsets [top0, left0, top1, left1, ...] into the padded image. */
export function drawCropOffsets(
  rng: Rng,
  n: number,
  height: number,
  width: number,
  spec: { height: number; width: number; padding: number },
): Int32Array {
  const rangeY = height + 2 * spec.padding - spec.height + 1;
  const rangeX = width + 2 * spec.padding - spec.width + 1;
  if (rangeY < 1 || rangeX < 1) {
    throw new Error(`randomCrop: a ${spec.height}x${spec.width} crop does not fit a ${height}x${width} image padded by ${spec.padding}`);
  }
  const out = new Int32Array(2 * n);
  for (let i = 0; i < n; ++i) {
    out[2 * i] = rng.int(rangeY);
    out[2 * i + 1] = rng.int(rangeX);
  }
  return out;
}

/** Per-sample flip decisions (1 = flip), each with probability p. */
export function drawFlips(rng: Rng, n: number, p: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; ++i) out[i] = rng.float() < p ? 1 : 0;
  return out;
}

export function checkImageShape(kind: string, shape: number[]): void {
  if (shape.length < 3)
    throw new Error(`${kind}: needs a batch of images [N, ..., H, W] (at least 3 dimensions), got shape [${shape.join(', ')}]`);
}

const isFloat = (d: ArrayDType) => d === 'float32' || d === 'float64';

/** Applies a pipeline to a batch (not in place). Step k draws from stepRng(seed, k). */
export function applyArrayTransforms(batch: ArrayBatch, specs: readonly TransformSpec[], seed: number): ArrayBatch {
  let b = batch;
  specs.forEach((spec, k) => {
    b = applyArrayTransform(b, spec, stepRng(seed, k));
  });
  return b;
}

export function applyArrayTransform(b: ArrayBatch, spec: TransformSpec, rng: Rng): ArrayBatch {
  switch (spec.kind) {
    case 'toFloat':
      return toFloatArray(b, spec.divisor, spec.offset);
    case 'normalize':
      return normalizeArray(b, spec.mean, spec.std);
    case 'randomCrop':
      return randomCropArray(b, spec, rng);
    case 'randomHorizontalFlip':
      return flipArray(b, drawFlips(rng, b.shape[0], spec.p));
  }
}

function toFloatArray(b: ArrayBatch, divisor: number, offset: number): ArrayBatch {
  const d = Math.fround(divisor);
  const o = Math.fround(offset);
  const out = new Float32Array(b.data.length);
  const src = b.data;
  if (src instanceof BigInt64Array) {
    for (let i = 0; i < out.length; ++i) out[i] = Math.fround(Math.fround(Number(src[i])) / d) - o;
  } else if (o === 0) {
    for (let i = 0; i < out.length; ++i) out[i] = Math.fround(src[i]) / d;
  } else {
    for (let i = 0; i < out.length; ++i) out[i] = Math.fround(Math.fround(src[i]) / d) - o;
  }
  return { data: out, dtype: 'float32', shape: b.shape };
}

function normalizeArray(b: ArrayBatch, mean: number[], std: number[]): ArrayBatch {
  if (!isFloat(b.dtype)) throw new Error(`normalize: needs a float batch, got ${b.dtype}; put toFloat() before it`);
  const channels = b.shape.length > 1 ? b.shape[1] : 1;
  const { mean: m, std: s } = channelParams(mean, std, channels);
  const inner = b.shape.slice(2).reduce((x, y) => x * y, 1);
  const src = b.data as Float32Array | Float64Array;
  const f32 = b.dtype === 'float32';
  const out = f32 ? new Float32Array(src.length) : new Float64Array(src.length);
  const n = b.shape[0] ?? 1;
  let i = 0;
  for (let s0 = 0; s0 < n; ++s0) {
    for (let c = 0; c < channels; ++c) {
      const mc = m[c];
      const sc = s[c];
      const end = i + inner;
      if (f32) for (; i < end; ++i) out[i] = Math.fround(src[i] - mc) / sc;
      else for (; i < end; ++i) out[i] = (src[i] - mc) / sc;
    }
  }
  return { data: out, dtype: b.dtype, shape: b.shape };
}

/** Per-channel float32 mean and std (a single value applies to every channel). */
export function channelParams(mean: number[], std: number[], channels: number): { mean: number[]; std: number[] } {
  const expand = (v: number[], name: string) => {
    if (v.length === 1) return Array.from({ length: channels }, () => Math.fround(v[0]));
    if (v.length !== channels) throw new Error(`normalize: ${name} has ${v.length} values but the batch has ${channels} channels`);
    return v.map(Math.fround);
  };
  return { mean: expand(mean, 'mean'), std: expand(std, 'std') };
}

function randomCropArray(b: ArrayBatch, spec: { height: number; width: number; padding: number }, rng: Rng): ArrayBatch {
  checkImageShape('randomCrop', b.shape);
  const nd = b.shape.length;
  const [H, W] = [b.shape[nd - 2], b.shape[nd - 1]];
  const n = b.shape[0];
  const planes = b.shape.slice(1, nd - 2).reduce((x, y) => x * y, 1);
  const offsets = drawCropOffsets(rng, n, H, W, spec);
  const { height: h, width: w, padding: p } = spec;
  const out = allocLike(b.dtype, n * planes * h * w) as Uint8Array;
  const src = b.data as Uint8Array;
  for (let s = 0; s < n; ++s) {
    // The crop's window in unpadded coordinates: rows y0..y0+h-1, columns x0..x0+w-1.
    const y0 = offsets[2 * s] - p;
    const x0 = offsets[2 * s + 1] - p;
    const xa = Math.max(0, -x0); // first in-image column of the window
    const xb = Math.min(w, W - x0); // one past the last
    for (let c = 0; c < planes; ++c) {
      const srcPlane = (s * planes + c) * H * W;
      const dstPlane = (s * planes + c) * h * w;
      for (let y = 0; y < h; ++y) {
        const sy = y0 + y;
        if (sy < 0 || sy >= H || xb <= xa) continue; // zero padding: the output is already zero
        const from = srcPlane + sy * W + x0;
        out.set(src.subarray(from + xa, from + xb), dstPlane + y * w + xa);
      }
    }
  }
  return { data: out, dtype: b.dtype, shape: [...b.shape.slice(0, nd - 2), h, w] };
}

function flipArray(b: ArrayBatch, flips: Uint8Array): ArrayBatch {
  checkImageShape('randomHorizontalFlip', b.shape);
  const nd = b.shape.length;
  const W = b.shape[nd - 1];
  const perSample = b.data.length / Math.max(b.shape[0], 1);
  const out = (b.data as Uint8Array).slice() as Uint8Array;
  const src = b.data as Uint8Array;
  for (let s = 0; s < flips.length; ++s) {
    if (!flips[s]) continue;
    const end = (s + 1) * perSample;
    for (let row = s * perSample; row < end; row += W) {
      for (let x = 0; x < W; ++x) out[row + x] = src[row + W - 1 - x];
    }
  }
  return { data: out, dtype: b.dtype, shape: b.shape };
}

/** Raw storage of one field: rows of `rowSize` elements. */
export interface RawField {
  key: string;
  dtype: ArrayDType;
  data: AnyTypedArray;
  rowShape: number[];
  rowSize: number;
}

/** Transforms for one field of a batch. */
export interface FieldPlan {
  field: number;
  specs: readonly TransformSpec[];
}

/** Rows `rows` of every field, then each field's transforms seeded by fieldSeed(batchSeed, key). */
export function produceBatch(
  fields: readonly RawField[],
  rows: ArrayLike<number>,
  plans: readonly FieldPlan[],
  batchSeed: number,
): ArrayBatch[] {
  const out: ArrayBatch[] = fields.map((f) => ({
    data: gatherRows(f.data, f.dtype, f.rowSize, rows),
    dtype: f.dtype,
    shape: [rows.length, ...f.rowShape],
  }));
  for (const plan of plans)
    out[plan.field] = applyArrayTransforms(out[plan.field], plan.specs, fieldSeed(batchSeed, fields[plan.field].key));
  return out;
}

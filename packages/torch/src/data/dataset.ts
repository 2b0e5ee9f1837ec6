// Datasets: the Dataset protocol, TensorDataset, ArrayDataset, Subset and ConcatDataset.
import { dtypeOfTypedArray, type DType } from '../dtype.js';
import { frombuffer, tensor } from '../ops/creation.js';
import { contiguous, indexSelect, select, to } from '../ops/shape.js';
import { tidy } from '../scope.js';
import { Tensor } from '../tensor.js';
import { type AnyTypedArray, type ArrayBatch, type ArrayDType, type RawField, allocLike, produceBatch } from './array-ops.js';

/** What a DataLoader reads: a length and the item at an index (PyTorch's map-style Dataset). */
export interface Dataset<T = unknown> {
  readonly length: number;
  get(index: number): T;
  /**
   * Optional fast path: the collated batch of items `indices` in one go (e.g. one
   * index_select per tensor instead of one view per item and a stack).
   */
  getBatch?(indices: Int32Array): unknown;
}

/** A dataset whose items are rows of TypedArrays can be batched by worker threads. */
export const arraySourceKey: unique symbol = Symbol('lot.data.arraySource');

/** Row-major rows of `rowSize` elements (in a SharedArrayBuffer once handed to workers). */
export type SourceField = RawField;

/** Raw, shareable storage behind a dataset. Item i is row indexMap[i] (or i) of every field. */
export interface ArraySource {
  length: number;
  structure: 'array' | 'object' | 'single';
  fields: SourceField[];
  indexMap?: Int32Array;
}

export interface ArrayBacked {
  [arraySourceKey](): ArraySource | null;
}

export function arraySourceOf(dataset: Dataset<unknown>): ArraySource | null {
  const f = (dataset as Partial<ArrayBacked>)[arraySourceKey];
  return typeof f === 'function' ? f.call(dataset) : null;
}

function checkLength(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw new Error(`${what}: length must be a non-negative integer, got ${String(n)}`);
  return n;
}

function checkIndex(i: number, length: number, what: string): number {
  if (!Number.isInteger(i)) throw new TypeError(`${what}: index must be an integer, got ${i}`);
  const j = i < 0 ? i + length : i;
  if (j < 0 || j >= length) throw new RangeError(`${what}: index ${i} is out of range for ${length} items`);
  return j;
}

const ARRAY_DTYPES: ReadonlySet<string> = new Set(['uint8', 'int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'bool']);

/** Wraps TypedArray batch fields as tensors in the source's structure (a copy into libtorch memory). */
export function wrapFields(source: Pick<ArraySource, 'structure' | 'fields'>, fields: ArrayBatch[]): unknown {
  const tensors = fields.map((f) => frombuffer(f.data, { dtype: f.dtype as DType, shape: f.shape }));
  if (source.structure === 'single') return tensors[0];
  if (source.structure === 'array') return tensors;
  const out: Record<string, Tensor> = {};
  source.fields.forEach((f, i) => {
    out[f.key] = tensors[i];
  });
  return out;
}

/** Gathers rows of every field (indices already mapped through indexMap). */
export function gatherSource(source: ArraySource, rows: ArrayLike<number>): ArrayBatch[] {
  return produceBatch(source.fields, rows, [], 0);
}

export function mapIndices(source: ArraySource, indices: Int32Array): Int32Array {
  const map = source.indexMap;
  if (!map) return indices;
  const out = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; ++k) {
    const i = indices[k];
    if (!(i >= 0 && i < map.length)) throw new RangeError(`index ${i} is out of range for a dataset of ${map.length} items`);
    out[k] = map[i];
  }
  return out;
}

function toShared(data: AnyTypedArray, dtype: ArrayDType): AnyTypedArray {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  const out = allocLike(dtype, data.length, true);
  (out as Uint8Array).set(data as Uint8Array);
  return out;
}

/**
 * Tensors indexed along their first dimension: item i is [t0[i], t1[i], ...]
 * (PyTorch's TensorDataset). Batches are gathered with one index_select per
 * tensor. For worker threads the data is copied once into shared memory.
 */
export class TensorDataset implements Dataset<Tensor[]>, ArrayBacked {
  readonly tensors: readonly Tensor[];
  private shared: ArraySource | null = null;

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new Error('TensorDataset: needs at least one tensor');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: argument ${i} is not a Tensor`);
      if (t.ndim === 0) throw new Error(`TensorDataset: tensor ${i} is a scalar; every tensor needs a first (item) dimension`);
    });
    const sizes = tensors.map((t) => t.shape[0]);
    if (sizes.some((s) => s !== sizes[0])) {
      throw new Error(`TensorDataset: all tensors must have the same size in the first dimension, got [${sizes.join(', ')}]`);
    }
    this.tensors = Object.freeze([...tensors]);
  }

  get length(): number {
    return this.tensors[0].shape[0];
  }

  /** Views of row i of every tensor. */
  get(index: number): Tensor[] {
    const i = checkIndex(index, this.length, 'TensorDataset.get');
    return this.tensors.map((t) => select(t, 0, i));
  }

  getBatch(indices: Int32Array): Tensor[] {
    return tidy(() => {
      const idx = tensor(indices);
      return this.tensors.map((t) => indexSelect(t, 0, idx));
    });
  }

  [arraySourceKey](): ArraySource {
    if (this.shared) return this.shared;
    const fields = this.tensors.map((t, i): SourceField => {
      const dtype = t.dtype;
      if (!ARRAY_DTYPES.has(dtype))
        throw new Error(`TensorDataset: worker threads cannot read ${dtype} tensors (tensor ${i}); convert it or use prefetch 0`);
      if (t.device !== 'cpu') throw new Error(`TensorDataset: worker threads read CPU tensors only (tensor ${i} is on ${t.device})`);
      const data = tidy(() => contiguous(to(t, dtype)).data()) as AnyTypedArray;
      const rowShape = t.shape.slice(1);
      return {
        key: String(i),
        dtype: dtype as ArrayDType,
        data: toShared(data, dtype as ArrayDType),
        rowShape,
        rowSize: rowShape.reduce((a, b) => a * b, 1),
      };
    });
    this.shared = { length: this.length, structure: 'array', fields };
    return this.shared;
  }
}

/** One field of an ArrayDataset: a TypedArray with the full shape (item dimension first). */
export interface ArrayField {
  data: AnyTypedArray;
  shape: number[];
  /** The element type; defaults to the TypedArray's ('bool' reads a Uint8Array as booleans). */
  dtype?: ArrayDType;
}

function dtypeOfArray(a: AnyTypedArray): ArrayDType {
  try {
    return dtypeOfTypedArray(a) as ArrayDType;
  } catch {
    throw new TypeError(`ArrayDataset: unsupported array type ${(a as object).constructor?.name}`);
  }
}

/**
 * Items are rows of TypedArrays (e.g. uint8 images [N, 1, 28, 28] and int64
 * labels [N]), given as an array (items are arrays of tensors) or an object
 * (items are objects of tensors). Data in a SharedArrayBuffer is shared with
 * worker threads as is; other data is copied into shared memory once.
 */
// Items are arrays or objects of tensors depending on the constructor's argument; typed `any` for easy destructuring.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export class ArrayDataset implements Dataset<any>, ArrayBacked {
  private readonly source: ArraySource;

  constructor(fields: (ArrayField | AnyTypedArray)[] | Record<string, ArrayField | AnyTypedArray>) {
    const isArray = Array.isArray(fields);
    const entries = isArray ? fields.map((f, i) => [String(i), f] as const) : Object.entries(fields);
    if (entries.length === 0) throw new Error('ArrayDataset: needs at least one field');
    const out = entries.map(([key, f]): SourceField => {
      const spec: ArrayField = ArrayBuffer.isView(f)
        ? { data: f as AnyTypedArray, shape: [(f as AnyTypedArray).length] }
        : (f as ArrayField);
      if (!spec || !ArrayBuffer.isView(spec.data)) throw new TypeError(`ArrayDataset: field '${key}' needs a TypedArray 'data'`);
      const dtype = spec.dtype ?? dtypeOfArray(spec.data);
      if (!ARRAY_DTYPES.has(dtype)) throw new Error(`ArrayDataset: field '${key}' has unknown dtype '${dtype}'`);
      if (dtype !== dtypeOfArray(spec.data) && !(dtype === 'bool' && spec.data instanceof Uint8Array)) {
        throw new TypeError(`ArrayDataset: field '${key}' is a ${spec.data.constructor.name} but dtype says ${dtype}`);
      }
      const shape = spec.shape;
      if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
        throw new Error(`ArrayDataset: field '${key}' needs a shape with an item dimension first, got ${JSON.stringify(shape)}`);
      }
      const numel = shape.reduce((a, b) => a * b, 1);
      if (numel !== spec.data.length)
        throw new Error(`ArrayDataset: field '${key}' has ${spec.data.length} elements but shape [${shape.join(', ')}] needs ${numel}`);
      const rowShape = shape.slice(1);
      return { key, dtype, data: spec.data, rowShape, rowSize: rowShape.reduce((a, b) => a * b, 1) };
    });
    const lengths = entries.map(([, f]) => (ArrayBuffer.isView(f) ? (f as AnyTypedArray).length : (f as ArrayField).shape[0]));
    if (lengths.some((n) => n !== lengths[0])) {
      throw new Error(
        `ArrayDataset: all fields must have the same number of items, got ${entries.map(([k], i) => `${k}: ${lengths[i]}`).join(', ')}`,
      );
    }
    this.source = { length: lengths[0], structure: isArray ? 'array' : 'object', fields: out };
  }

  get length(): number {
    return this.source.length;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  get(index: number): any {
    const i = checkIndex(index, this.length, 'ArrayDataset.get');
    return tidy(() => {
      const batch = wrapFields(this.source, gatherSource(this.source, [i])) as Tensor | Tensor[] | Record<string, Tensor>;
      const squeeze = (t: Tensor) => select(t, 0, 0);
      if (batch instanceof Tensor) return squeeze(batch);
      if (Array.isArray(batch)) return batch.map(squeeze);
      return Object.fromEntries(Object.entries(batch).map(([k, t]) => [k, squeeze(t)]));
    });
  }

  getBatch(indices: Int32Array): unknown {
    return wrapFields(this.source, gatherSource(this.source, indices));
  }

  [arraySourceKey](): ArraySource {
    for (const f of this.source.fields) f.data = toShared(f.data, f.dtype);
    return this.source;
  }
}

/** The items of `dataset` at `indices`, in that order (PyTorch's Subset). */
export class Subset<T> implements Dataset<T>, ArrayBacked {
  readonly dataset: Dataset<T>;
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T>, indices: ArrayLike<number>) {
    const n = checkLength(dataset.length, 'Subset');
    this.dataset = dataset;
    this.indices = Int32Array.from(indices as ArrayLike<number>, (i) => checkIndex(i, n, 'Subset'));
    if (typeof dataset.getBatch !== 'function') (this as { getBatch?: unknown }).getBatch = undefined;
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): T {
    return this.dataset.get(this.indices[checkIndex(index, this.length, 'Subset.get')]);
  }

  getBatch?(indices: Int32Array): unknown {
    const mapped = new Int32Array(indices.length);
    for (let k = 0; k < indices.length; ++k) mapped[k] = this.indices[checkIndex(indices[k], this.length, 'Subset.getBatch')];
    return this.dataset.getBatch!(mapped);
  }

  [arraySourceKey](): ArraySource | null {
    const base = arraySourceOf(this.dataset);
    if (!base) return null;
    return { ...base, length: this.length, indexMap: mapIndices(base, this.indices) };
  }
}

/** Datasets one after another (PyTorch's ConcatDataset). */
export class ConcatDataset<T> implements Dataset<T>, ArrayBacked {
  readonly datasets: readonly Dataset<T>[];
  /** cumulativeSizes[k]: items in datasets 0..k. */
  readonly cumulativeSizes: readonly number[];
  private shared: ArraySource | null | undefined;

  constructor(datasets: Dataset<T>[]) {
    if (!Array.isArray(datasets) || datasets.length === 0) throw new Error('ConcatDataset: needs a non-empty array of datasets');
    let total = 0;
    this.cumulativeSizes = datasets.map((d, i) => (total += checkLength(d.length, `ConcatDataset: dataset ${i}`)));
    this.datasets = Object.freeze([...datasets]);
  }

  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1];
  }

  private locate(index: number): [number, number] {
    const i = checkIndex(index, this.length, 'ConcatDataset.get');
    let lo = 0;
    let hi = this.cumulativeSizes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulativeSizes[mid] > i) hi = mid;
      else lo = mid + 1;
    }
    return [lo, i - (lo === 0 ? 0 : this.cumulativeSizes[lo - 1])];
  }

  get(index: number): T {
    const [d, i] = this.locate(index);
    return this.datasets[d].get(i);
  }

  [arraySourceKey](): ArraySource | null {
    if (this.shared !== undefined) return this.shared;
    const parts = this.datasets.map(arraySourceOf);
    const first = parts[0];
    const compatible =
      first &&
      parts.every(
        (p) =>
          p &&
          p.structure === first.structure &&
          p.fields.length === first.fields.length &&
          p.fields.every(
            (f, k) =>
              f.key === first.fields[k].key && f.dtype === first.fields[k].dtype && f.rowShape.join() === first.fields[k].rowShape.join(),
          ),
      );
    if (!compatible) return (this.shared = null);
    // One shared copy of every part's rows, and an index map through each part's own map.
    const rowCounts = parts.map((p) => p!.fields[0].data.length / Math.max(p!.fields[0].rowSize, 1));
    const fields = first.fields.map((f, k): SourceField => {
      const data = allocLike(f.dtype, rowCounts.reduce((a, b) => a + b, 0) * f.rowSize, true);
      let offset = 0;
      for (const p of parts) {
        (data as Uint8Array).set(p!.fields[k].data as Uint8Array, offset);
        offset += p!.fields[k].data.length;
      }
      return { ...f, data };
    });
    const indexMap = new Int32Array(this.length);
    let at = 0;
    let rowBase = 0;
    parts.forEach((p, k) => {
      for (let i = 0; i < p!.length; ++i) indexMap[at++] = rowBase + (p!.indexMap ? p!.indexMap[i] : i);
      rowBase += rowCounts[k];
    });
    return (this.shared = { length: this.length, structure: first.structure, fields, indexMap });
  }
}

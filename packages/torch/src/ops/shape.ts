// Views, layout, joining, splitting and indexing.
import { isSameDevice } from '../cuda.js';
import { callTensor, callTensors, handles } from '../dispatch.js';
import { type DType, dtypeCode } from '../dtype.js';
import { native } from '../native.js';
import { lazyOp } from '../op-registry.js';
import { Tensor, wrap } from '../tensor.js';

const op = lazyOp;
const reshapeOp = op('aten::reshape');
const viewOp = op('aten::view');
const permuteOp = op('aten::permute');
const transposeOp = op('aten::transpose.int');
const tOp = op('aten::t');
const contiguousOp = op('aten::contiguous');
const squeezeAll = op('aten::squeeze');
const squeezeDims = op('aten::squeeze.dims');
const unsqueezeOp = op('aten::unsqueeze');
const expandOp = op('aten::expand');
const flattenOp = op('aten::flatten.using_ints');
const unflattenOp = op('aten::unflatten.int');
const sliceOp = op('aten::slice.Tensor');
const selectOp = op('aten::select.int');
const narrowOp = op('aten::narrow');
const indexSelectOp = op('aten::index_select');
const gatherOp = op('aten::gather');
const scatterSrc = op('aten::scatter.src');
const scatterValue = op('aten::scatter.value');
const scatterAddOp = op('aten::scatter_add');
const maskedFillS = op('aten::masked_fill.Scalar');
const maskedFillT = op('aten::masked_fill.Tensor');
const maskedSelectOp = op('aten::masked_select');
const catOp = op('aten::cat');
const stackOp = op('aten::stack');
const splitSize = op('aten::split.Tensor');
const splitSizes = op('aten::split_with_sizes');
const chunkOp = op('aten::chunk');
const unbindOp = op('aten::unbind.int');
const indexOp = op('aten::index.Tensor');
const indexPutOp = op('aten::index_put_');
const flipOp = op('aten::flip');
const rollOp = op('aten::roll');
const repeatOp = op('aten::repeat');
const tileOp = op('aten::tile');
const oneHotOp = op('aten::one_hot');
const cloneOp = op('aten::clone');
const detachOp = op('aten::detach');
const toDtypeOp = op('aten::to.dtype');
const toDeviceOp = op('aten::to.device');
const padOp = op('aten::pad');
const nonzeroOp = op('aten::nonzero');

export const reshape = (a: Tensor, shape: number[]) => callTensor(reshapeOp(), a.handle, shape);
export const view = (a: Tensor, shape: number[]) => callTensor(viewOp(), a.handle, shape);
export const permute = (a: Tensor, dims: number[]) => callTensor(permuteOp(), a.handle, dims);
export const transpose = (a: Tensor, dim0: number, dim1: number) => callTensor(transposeOp(), a.handle, dim0, dim1);
/** The transpose of a matrix (or a 1-D tensor unchanged). */
export const t = (a: Tensor) => callTensor(tOp(), a.handle);
export const contiguous = (a: Tensor) => callTensor(contiguousOp(), a.handle);
export const squeeze = (a: Tensor, dim?: number | number[]) =>
  dim === undefined ? callTensor(squeezeAll(), a.handle) : callTensor(squeezeDims(), a.handle, typeof dim === 'number' ? [dim] : dim);
export const unsqueeze = (a: Tensor, dim: number) => callTensor(unsqueezeOp(), a.handle, dim);
/** A broadcast view with `shape` (-1 keeps a dimension's size). */
export const expand = (a: Tensor, shape: number[]) => callTensor(expandOp(), a.handle, shape);
export const expandAs = (a: Tensor, other: Tensor) => expand(a, other.shape);
export const flatten = (a: Tensor, startDim = 0, endDim = -1) => callTensor(flattenOp(), a.handle, startDim, endDim);
export const unflatten = (a: Tensor, dim: number, sizes: number[]) => callTensor(unflattenOp(), a.handle, dim, sizes);
/** Elements start..end (exclusive) by step along `dim`, as a view; bounds as Python slices (negative from the end). */
export const slice = (a: Tensor, dim: number, start?: number | null, end?: number | null, step = 1) =>
  callTensor(sliceOp(), a.handle, dim, start ?? null, end ?? null, step);
/** The sub-tensor at `index` along `dim` (that dimension removed). */
export const select = (a: Tensor, dim: number, index: number) => callTensor(selectOp(), a.handle, dim, index);
export const narrow = (a: Tensor, dim: number, start: number, length: number) => callTensor(narrowOp(), a.handle, dim, start, length);
export const indexSelect = (a: Tensor, dim: number, index: Tensor) => callTensor(indexSelectOp(), a.handle, dim, index.handle);
export const gather = (a: Tensor, dim: number, index: Tensor) => callTensor(gatherOp(), a.handle, dim, index.handle);
export const scatter = (a: Tensor, dim: number, index: Tensor, src: Tensor | number) =>
  typeof src === 'number'
    ? callTensor(scatterValue(), a.handle, dim, index.handle, src)
    : callTensor(scatterSrc(), a.handle, dim, index.handle, src.handle);
export const scatterAdd = (a: Tensor, dim: number, index: Tensor, src: Tensor) =>
  callTensor(scatterAddOp(), a.handle, dim, index.handle, src.handle);
export const maskedFill = (a: Tensor, mask: Tensor, value: Tensor | number | boolean) =>
  value instanceof Tensor
    ? callTensor(maskedFillT(), a.handle, mask.handle, value.handle)
    : callTensor(maskedFillS(), a.handle, mask.handle, value);
export const maskedSelect = (a: Tensor, mask: Tensor) => callTensor(maskedSelectOp(), a.handle, mask.handle);
export const nonzero = (a: Tensor) => callTensor(nonzeroOp(), a.handle);
export const cat = (tensors: Tensor[], dim = 0) => callTensor(catOp(), handles(tensors), dim);
export const stack = (tensors: Tensor[], dim = 0) => callTensor(stackOp(), handles(tensors), dim);
/** Splits into pieces of `size` along `dim` (the last may be smaller), or into the given sizes. */
export const split = (a: Tensor, size: number | number[], dim = 0) =>
  typeof size === 'number' ? callTensors(splitSize(), a.handle, size, dim) : callTensors(splitSizes(), a.handle, size, dim);
export const chunk = (a: Tensor, chunks: number, dim = 0) => callTensors(chunkOp(), a.handle, chunks, dim);
export const unbind = (a: Tensor, dim = 0) => callTensors(unbindOp(), a.handle, dim);
export const flip = (a: Tensor, dims: number[]) => callTensor(flipOp(), a.handle, dims);
export const roll = (a: Tensor, shifts: number | number[], dims: number | number[] = []) => callTensor(rollOp(), a.handle, shifts, dims);
export const repeat = (a: Tensor, repeats: number[]) => callTensor(repeatOp(), a.handle, repeats);
export const tile = (a: Tensor, reps: number[]) => callTensor(tileOp(), a.handle, reps);
export const oneHot = (a: Tensor, numClasses = -1) => callTensor(oneHotOp(), a.handle, numClasses);
export const clone = (a: Tensor) => callTensor(cloneOp(), a.handle);
/** A tensor sharing the data but cut from the autograd graph. */
export const detach = (a: Tensor) => callTensor(detachOp(), a.handle);
/** Pads the last dimensions: [left, right, top, bottom, ...] as torch.nn.functional.pad. */
export const pad = (a: Tensor, padding: number[], mode: 'constant' | 'reflect' | 'replicate' | 'circular' = 'constant', value?: number) =>
  callTensor(padOp(), a.handle, padding, mode, mode === 'constant' ? (value ?? 0) : null);

/** Converts to a dtype and/or a device; returns the same tensor when nothing changes (as PyTorch). */
export function to(a: Tensor, target: DType | string | { dtype?: DType; device?: string }): Tensor {
  const spec = typeof target === 'string' ? (isDType(target) ? { dtype: target } : { device: target }) : target;
  const dtype = spec.dtype ? dtypeCode(spec.dtype) : native.dtype(a.handle);
  // The bridge wraps even an unchanged result in a new handle, so compare here.
  // 'cuda' is the current GPU, so a tensor on it stays itself, as in PyTorch.
  if (dtype === native.dtype(a.handle) && (!spec.device || isSameDevice(spec.device, native.device(a.handle)))) return a;
  const result = spec.device ? native.callOp(toDeviceOp(), a.handle, spec.device, dtype) : native.callOp(toDtypeOp(), a.handle, dtype);
  return result === a.handle ? a : wrap(result);
}
const dtypes = new Set(['uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'float32', 'float64', 'bfloat16', 'bool']);
const isDType = (s: string): s is DType => dtypes.has(s);

/** One index per dimension, as in Python's x[...]: */
export type IndexSpec =
  | number // select: x[2]
  | null // the whole dimension: x[:]
  | string // a Python slice 'start:end:step' ('1:', ':-1', '::2'), ':' or '...'
  | [number | null, number | null, number?] // slice as [start, end, step]
  | Tensor; // advanced (integer or boolean) indexing

function parseSlice(spec: string): [number | null, number | null, number] {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw new Error(`'${spec}' is not a slice; write 'start:end' or 'start:end:step'`);
  const num = (s: string | undefined) => (s === undefined || s.trim() === '' ? null : Number(s));
  const [start, end, step] = [num(parts[0]), num(parts[1]), num(parts[2]) ?? 1];
  for (const v of [start, end, step]) if (v !== null && !Number.isInteger(v)) throw new Error(`'${spec}' has a non-integer bound`);
  return [start, end, step];
}

/** Python-style indexing: index(x, 0, ':', '1:3', idx) is x[0, :, 1:3, idx]. */
export function index(a: Tensor, ...specs: IndexSpec[]): Tensor {
  const ellipsis = specs.indexOf('...');
  if (ellipsis >= 0) {
    const fill = a.ndim - (specs.length - 1);
    specs = [...specs.slice(0, ellipsis), ...Array(Math.max(0, fill)).fill(null), ...specs.slice(ellipsis + 1)];
  }
  if (specs.length > a.ndim) throw new RangeError(`too many indices (${specs.length}) for a tensor with ${a.ndim} dimensions`);
  let current = a;
  const made: Tensor[] = [];
  const advanced: (Tensor | null)[] = [];
  let dim = 0;
  const step = (next: Tensor) => {
    made.push(next);
    current = next;
  };
  // The intermediate views are freed whether indexing succeeds or throws.
  let result: Tensor | null = null;
  try {
    for (const [source, spec] of specs.entries()) {
      if (spec instanceof Tensor) {
        advanced[dim] = spec;
        dim++;
        continue;
      }
      if (typeof spec === 'number') {
        const size = current.shape[dim];
        if (spec >= size || spec < -size) throw new RangeError(`index ${spec} is out of bounds for dimension ${source} with size ${size}`);
        step(select(current, dim, spec));
        continue;
      }
      if (spec === null || spec === ':') {
        dim++;
        continue;
      }
      const [start, end, stride] = typeof spec === 'string' ? parseSlice(spec) : [spec[0], spec[1], spec[2] ?? 1];
      step(slice(current, dim, start, end, stride));
      dim++;
    }
    const list = Array.from({ length: advanced.length }, (_, i) => advanced[i]?.handle ?? null);
    result = advanced.length > 0 ? callTensor(indexOp(), current.handle, list) : current;
  } finally {
    for (const m of made) if (m !== result) m.dispose();
  }
  return result === a ? view(a, a.shape) : result!;
}

/** In place: a[indices] = values (or += with accumulate). */
export function indexPut_(a: Tensor, indices: (Tensor | null)[], values: Tensor, accumulate = false): Tensor {
  native.callOp(
    indexPutOp(),
    a.handle,
    indices.map((i) => i?.handle ?? null),
    values.handle,
    accumulate,
  );
  return a;
}

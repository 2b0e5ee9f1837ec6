// Tensor creation: from JavaScript data, constants, ranges and random draws.
import { callTensor } from '../dispatch.js';
import { type DType, dtypeCode, dtypeOfTypedArray } from '../dtype.js';
import { native } from '../native.js';
import { opId } from '../op-registry.js';
import { type NestedArray, type Tensor, wrap } from '../tensor.js';

export interface TensorOptions {
  dtype?: DType;
  device?: string;
  requiresGrad?: boolean;
}

const dt = (o: TensorOptions | undefined, fallback?: DType): number | undefined =>
  o?.dtype ? dtypeCode(o.dtype) : fallback ? dtypeCode(fallback) : undefined;

function finish(t: Tensor, o: TensorOptions | undefined): Tensor {
  if (o?.requiresGrad) t.requiresGrad_(true);
  return t;
}

function shapeOfNested(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

function flattenNested(data: NestedArray, shape: number[], depth: number, out: (number | boolean)[]): void {
  if (depth === shape.length) {
    if (Array.isArray(data)) throw new Error('tensor(): nested arrays are ragged: every row must have the same length');
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new Error(`tensor(): nested arrays are ragged: expected length ${shape[depth]} at depth ${depth}`);
  }
  for (const item of data) flattenNested(item, shape, depth + 1, out);
}

function toDevice(t: Tensor, device: string | undefined): Tensor {
  if (!device || device === 'cpu') return t;
  try {
    return callTensor(opId('aten::to.device'), t.handle, device, native.dtype(t.handle));
  } finally {
    t.dispose(); // also when the device is refused (no CUDA here)
  }
}

/**
 * A tensor from nested arrays, a TypedArray or a Buffer (copied). JavaScript
 * numbers become float32 unless `dtype` says otherwise (JavaScript cannot tell
 * 1 from 1.0); booleans become bool; TypedArrays keep their element type.
 */
export function tensor(data: NestedArray | ArrayBufferView, options: TensorOptions & { shape?: number[] } = {}): Tensor {
  let t: Tensor;
  if (ArrayBuffer.isView(data)) {
    const source = dtypeOfTypedArray(data);
    const length = data.byteLength / ((data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT ?? 1);
    t = wrap(native.fromBytes(data, options.shape ?? [length], dtypeCode(source)));
    if (options.dtype && options.dtype !== source) t = convert(t, options.dtype);
  } else {
    const shape = shapeOfNested(data);
    const flat: (number | boolean)[] = [];
    flattenNested(data, shape, 0, flat);
    const isBool = flat.length > 0 && typeof flat[0] === 'boolean';
    const dtype = options.dtype ?? (isBool ? 'bool' : 'float32');
    if (dtype === 'float32') t = wrap(native.fromBytes(Float32Array.from(flat as number[]), shape, dtypeCode('float32')));
    else if (dtype === 'bool' || dtype === 'uint8') t = wrap(native.fromBytes(Uint8Array.from(flat, Number), shape, dtypeCode(dtype)));
    else t = convert(wrap(native.fromBytes(Float64Array.from(flat, Number), shape, dtypeCode('float64'))), dtype);
  }
  return finish(toDevice(t, options.device), options);
}

function convert(t: Tensor, dtype: DType): Tensor {
  const out = callTensor(opId('aten::to.dtype'), t.handle, dtypeCode(dtype));
  if (out.handle !== t.handle) t.dispose();
  return out;
}

/** A scalar (zero-dimensional) tensor. */
export function scalarTensor(value: number | boolean, options: TensorOptions = {}): Tensor {
  return tensor(value as NestedArray, options);
}

/** Reinterprets raw bytes as elements of `dtype` (like torch.frombuffer), copied into a new tensor. */
export function frombuffer(buffer: ArrayBufferView | ArrayBuffer, options: TensorOptions & { shape?: number[] } = {}): Tensor {
  const dtype = options.dtype ?? 'float32';
  const bytes = ArrayBuffer.isView(buffer) ? buffer.byteLength : buffer.byteLength;
  const itemSize = ({ uint8: 1, int8: 1, bool: 1, int16: 2, float16: 2, bfloat16: 2, int32: 4, float32: 4, int64: 8, float64: 8 } as const)[
    dtype
  ];
  if (bytes % itemSize !== 0) throw new Error(`frombuffer(): ${bytes} bytes is not a whole number of ${dtype} elements`);
  const t = wrap(native.fromBytes(buffer, options.shape ?? [bytes / itemSize], dtypeCode(dtype)));
  return finish(toDevice(t, options.device), options);
}

type Shape = number[] | number;
const shapeOf = (s: Shape): number[] => (typeof s === 'number' ? [s] : s);

export const zeros = (shape: Shape, o?: TensorOptions) =>
  finish(callTensor(opId('aten::zeros'), shapeOf(shape), dt(o), undefined, o?.device), o);
export const ones = (shape: Shape, o?: TensorOptions) =>
  finish(callTensor(opId('aten::ones'), shapeOf(shape), dt(o), undefined, o?.device), o);
export const empty = (shape: Shape, o?: TensorOptions) =>
  finish(callTensor(opId('aten::empty.memory_format'), shapeOf(shape), dt(o), undefined, o?.device), o);
/** A tensor filled with `value`; float32 unless `dtype` is given (bool for a boolean value). */
export const full = (shape: Shape, value: number | boolean, o?: TensorOptions) =>
  finish(
    callTensor(opId('aten::full'), shapeOf(shape), value, dt(o, typeof value === 'boolean' ? 'bool' : 'float32'), undefined, o?.device),
    o,
  );
export const rand = (shape: Shape, o?: TensorOptions) =>
  finish(callTensor(opId('aten::rand'), shapeOf(shape), dt(o), undefined, o?.device), o);
export const randn = (shape: Shape, o?: TensorOptions) =>
  finish(callTensor(opId('aten::randn'), shapeOf(shape), dt(o), undefined, o?.device), o);
/** Integers drawn uniformly from [low, high); int64 by default. */
export function randint(low: number, high: number, shape: Shape, o?: TensorOptions): Tensor {
  if (high <= low) throw new RangeError(`randint(): high (${high}) must be greater than low (${low})`);
  return finish(callTensor(opId('aten::randint.low'), low, high, shapeOf(shape), dt(o, 'int64'), undefined, o?.device), o);
}
export const randperm = (n: number, o?: TensorOptions) =>
  finish(callTensor(opId('aten::randperm'), n, dt(o, 'int64'), undefined, o?.device), o);
/** Values from start to end (exclusive) by step; int64 when all three are integers, as in PyTorch. */
export function arange(start: number, end?: number, step = 1, o?: TensorOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  return finish(callTensor(opId('aten::arange.start_step'), start, end, step, dt(o), undefined, o?.device), o);
}
export const linspace = (start: number, end: number, steps: number, o?: TensorOptions) =>
  finish(callTensor(opId('aten::linspace'), start, end, steps, dt(o), undefined, o?.device), o);
export const eye = (n: number, m?: number, o?: TensorOptions) =>
  finish(callTensor(opId('aten::eye.m'), n, m ?? n, dt(o), undefined, o?.device), o);

export const zerosLike = (t: Tensor, o?: TensorOptions) =>
  finish(callTensor(opId('aten::zeros_like'), t.handle, dt(o), undefined, o?.device), o);
export const onesLike = (t: Tensor, o?: TensorOptions) =>
  finish(callTensor(opId('aten::ones_like'), t.handle, dt(o), undefined, o?.device), o);
export const emptyLike = (t: Tensor, o?: TensorOptions) =>
  finish(callTensor(opId('aten::empty_like'), t.handle, dt(o), undefined, o?.device), o);
export const fullLike = (t: Tensor, value: number | boolean, o?: TensorOptions) =>
  finish(callTensor(opId('aten::full_like'), t.handle, value, dt(o), undefined, o?.device), o);
export const randLike = (t: Tensor, o?: TensorOptions) =>
  finish(callTensor(opId('aten::rand_like'), t.handle, dt(o), undefined, o?.device), o);
export const randnLike = (t: Tensor, o?: TensorOptions) =>
  finish(callTensor(opId('aten::randn_like'), t.handle, dt(o), undefined, o?.device), o);
export const randintLike = (t: Tensor, low: number, high: number, o?: TensorOptions) =>
  finish(callTensor(opId('aten::randint_like.low_dtype'), t.handle, low, high, dt(o), undefined, o?.device), o);

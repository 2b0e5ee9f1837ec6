// The Tensor class: a handle to one libtorch tensor plus its metadata,
// data access, autograd accessors and lifetime. Operations are attached as
// methods in tensor-methods.ts; functional forms live in ops/.
import { inspect } from 'node:util';
import { type DType, type TypedArray, dtypeFromCode, typedArrayFor } from './dtype.js';
import { formatTensor } from './format.js';
import { type Handle, native } from './native.js';
import { opId } from './op-registry.js';
import { track } from './scope.js';

export interface BackwardOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
}

export type NestedArray = number | boolean | NestedArray[];

export class Tensor {
  /** Set by `keep`: no scope disposes this tensor. */
  kept = false;
  readonly handle: Handle;

  constructor(handle: Handle) {
    this.handle = handle;
    track(this);
  }

  get shape(): number[] {
    return native.shape(this.handle);
  }
  get dtype(): DType {
    return dtypeFromCode(native.dtype(this.handle));
  }
  get device(): string {
    return native.device(this.handle);
  }
  get ndim(): number {
    return native.shape(this.handle).length;
  }
  dim(): number {
    return this.ndim;
  }
  numel(): number {
    return native.numel(this.handle);
  }
  /** The size of one dimension (negative counts from the end), or the whole shape. */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    const shape = this.shape;
    if (dim === undefined) return shape;
    const d = dim < 0 ? dim + shape.length : dim;
    if (d < 0 || d >= shape.length) throw new RangeError(`dimension ${dim} is out of range for a tensor with ${shape.length} dimensions`);
    return shape[d];
  }
  stride(): number[] {
    return native.strides(this.handle);
  }
  isContiguous(): boolean {
    return native.isContiguous(this.handle);
  }

  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  set requiresGrad(value: boolean) {
    native.setRequiresGrad(this.handle, value);
  }
  requiresGrad_(value = true): this {
    native.setRequiresGrad(this.handle, value);
    return this;
  }
  /** The accumulated gradient, or null. Each read returns a new handle to the same tensor. */
  get grad(): Tensor | null {
    return wrapOrNull(native.grad(this.handle));
  }
  set grad(value: Tensor | null) {
    native.setGrad(this.handle, value ? value.handle : null);
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }
  /** The name of the autograd node that made this tensor, e.g. 'AddBackward0'. */
  get gradFn(): string | null {
    return native.gradFnName(this.handle);
  }
  retainGrad(): this {
    native.retainGrad(this.handle);
    return this;
  }
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    native.backward(this.handle, gradient ? gradient.handle : null, options.retainGraph, options.createGraph);
  }

  /** The value of a one-element tensor. */
  item(): number {
    const v = native.item(this.handle);
    return typeof v === 'boolean' ? Number(v) : v;
  }
  /** A copy of the elements, in row-major order, as the dtype's TypedArray (float16/bfloat16 as float32). */
  data(): TypedArray {
    const dtype = this.dtype;
    if (dtype === 'float16' || dtype === 'bfloat16') return new Float32Array(float32Bytes(this.handle));
    return typedArrayFor(dtype, native.toBytes(this.handle));
  }
  /** The elements as nested JavaScript arrays (numbers, or booleans for bool tensors), like PyTorch's tolist(). */
  tolist(): NestedArray {
    const shape = this.shape;
    const flat = this.data();
    const isBool = this.dtype === 'bool';
    const value = (i: number): number | boolean => (isBool ? flat[i] !== 0 : Number(flat[i]));
    if (shape.length === 0) return value(0);
    let offset = 0;
    const build = (d: number): NestedArray[] => {
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[d]; ++i) out.push(d === shape.length - 1 ? value(offset++) : build(d + 1));
      return out;
    };
    return build(0);
  }

  /** Set once this object disposed its handle, so repeated disposal and scope checks stay in JavaScript. */
  private released = false;
  dispose(): void {
    if (this.released) return;
    this.released = true;
    native.dispose(this.handle);
  }
  // Another Tensor object may share this handle (an in-place op wrapped twice), so ask the native side unless we know.
  get isDisposed(): boolean {
    return this.released || native.isDisposed(this.handle);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    if (this.isDisposed) return 'tensor(<disposed>)';
    return formatTensor(this);
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

const FLOAT32_CODE = 6;
function float32Bytes(h: Handle): ArrayBuffer {
  const converted = native.callOp(opId('aten::to.dtype'), h, FLOAT32_CODE) as Handle;
  try {
    return native.toBytes(converted);
  } finally {
    native.dispose(converted);
  }
}

/** Wraps a handle the native side returned in a new tracked Tensor. */
export function wrap(handle: Handle): Tensor {
  return new Tensor(handle);
}

export function wrapOrNull(handle: Handle | null): Tensor | null {
  return handle === null || handle === undefined ? null : new Tensor(handle);
}

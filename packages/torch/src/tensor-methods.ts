// Tensor methods: the functional ops of ops/ as chainable methods (x.add(y).relu()),
// plus the in-place variants that optimizers need.
import type { DType } from './dtype.js';
import { native } from './native.js';
import { lazyOp } from './op-registry.js';
import * as M from './ops/math.js';
import * as N from './ops/nn.js';
import * as S from './ops/shape.js';
import { Tensor } from './tensor.js';

type TS = M.TensorOrScalar;

declare module './tensor.js' {
  interface Tensor {
    add(other: TS, alpha?: number): Tensor;
    sub(other: TS, alpha?: number): Tensor;
    mul(other: TS): Tensor;
    div(other: TS): Tensor;
    pow(exponent: TS): Tensor;
    remainder(other: TS): Tensor;
    neg(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    log1p(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    reciprocal(): Tensor;
    square(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    round(): Tensor;
    isnan(): Tensor;
    isfinite(): Tensor;
    clamp(min?: TS | null, max?: TS | null): Tensor;
    maximum(other: Tensor): Tensor;
    minimum(other: Tensor): Tensor;
    eq(other: TS): Tensor;
    ne(other: TS): Tensor;
    lt(other: TS): Tensor;
    le(other: TS): Tensor;
    gt(other: TS): Tensor;
    ge(other: TS): Tensor;
    logicalNot(): Tensor;
    logicalAnd(other: Tensor): Tensor;
    logicalOr(other: Tensor): Tensor;
    sum(dim?: M.Dims, keepdim?: boolean, dtype?: DType): Tensor;
    mean(dim?: M.Dims, keepdim?: boolean, dtype?: DType): Tensor;
    prod(dim?: number, keepdim?: boolean): Tensor;
    max(): Tensor;
    max(dim: number, keepdim?: boolean): M.ValuesIndices;
    min(): Tensor;
    min(dim: number, keepdim?: boolean): M.ValuesIndices;
    argmax(dim?: number, keepdim?: boolean): Tensor;
    argmin(dim?: number, keepdim?: boolean): Tensor;
    logsumexp(dim: M.Dims, keepdim?: boolean): Tensor;
    var(dim?: M.Dims, keepdim?: boolean, correction?: number): Tensor;
    std(dim?: M.Dims, keepdim?: boolean, correction?: number): Tensor;
    norm(p?: number, dim?: M.Dims, keepdim?: boolean): Tensor;
    all(dim?: M.Dims, keepdim?: boolean): Tensor;
    any(dim?: M.Dims, keepdim?: boolean): Tensor;
    cumsum(dim: number): Tensor;
    topk(k: number, dim?: number, largest?: boolean, sorted?: boolean): M.ValuesIndices;
    sort(dim?: number, descending?: boolean): M.ValuesIndices;
    argsort(dim?: number, descending?: boolean): Tensor;
    matmul(other: Tensor): Tensor;
    mm(other: Tensor): Tensor;
    bmm(other: Tensor): Tensor;
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
    reshape(...shape: number[] | [number[]]): Tensor;
    view(...shape: number[] | [number[]]): Tensor;
    permute(...dims: number[] | [number[]]): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    t(): Tensor;
    contiguous(): Tensor;
    squeeze(dim?: number | number[]): Tensor;
    unsqueeze(dim: number): Tensor;
    expand(...shape: number[] | [number[]]): Tensor;
    expandAs(other: Tensor): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    unflatten(dim: number, sizes: number[]): Tensor;
    slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor;
    select(dim: number, index: number): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    gather(dim: number, index: Tensor): Tensor;
    scatter(dim: number, index: Tensor, src: Tensor | number): Tensor;
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    maskedFill(mask: Tensor, value: Tensor | number | boolean): Tensor;
    maskedSelect(mask: Tensor): Tensor;
    split(size: number | number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    unbind(dim?: number): Tensor[];
    flip(dims: number[]): Tensor;
    roll(shifts: number | number[], dims?: number | number[]): Tensor;
    repeat(...repeats: number[]): Tensor;
    index(...specs: S.IndexSpec[]): Tensor;
    indexPut_(indices: (Tensor | null)[], values: Tensor, accumulate?: boolean): Tensor;
    clone(): Tensor;
    detach(): Tensor;
    to(target: DType | string | { dtype?: DType; device?: string }): Tensor;
    float(): Tensor;
    double(): Tensor;
    long(): Tensor;
    int(): Tensor;
    bool(): Tensor;
    // in place: return this
    add_(other: TS, alpha?: number): this;
    sub_(other: TS, alpha?: number): this;
    mul_(other: TS): this;
    div_(other: TS): this;
    addcmul_(t1: Tensor, t2: Tensor, value?: number): this;
    addcdiv_(t1: Tensor, t2: Tensor, value?: number): this;
    lerp_(end: Tensor, weight: TS): this;
    sqrt_(): this;
    clamp_(min?: number | null, max?: number | null): this;
    relu_(): this;
    zero_(): this;
    fill_(value: number | Tensor): this;
    copy_(src: Tensor): this;
    uniform_(from?: number, to?: number): this;
    normal_(mean?: number, std?: number): this;
    bernoulli_(p?: number): this;
    maskedFill_(mask: Tensor, value: number): this;
    clampMin_(min: number): this;
    detach_(): this;
  }
}

const P = Tensor.prototype;
const shapeArgs = (args: number[] | [number[]]): number[] => (Array.isArray(args[0]) ? args[0] : (args as number[]));

P.add = function (o, alpha) {
  return M.add(this, o, alpha);
};
P.sub = function (o, alpha) {
  return M.sub(this, o, alpha);
};
P.mul = function (o) {
  return M.mul(this, o);
};
P.div = function (o) {
  return M.div(this, o);
};
P.pow = function (o) {
  return M.pow(this, o);
};
P.remainder = function (o) {
  return M.remainder(this, o);
};
for (const name of [
  'neg',
  'abs',
  'sign',
  'sqrt',
  'rsqrt',
  'exp',
  'log',
  'log1p',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'reciprocal',
  'square',
  'floor',
  'ceil',
  'round',
  'isnan',
  'isfinite',
  'logicalNot',
] as const) {
  // biome-ignore lint/performance/noDynamicNamespaceImportAccess: one method per op name, looked up once at load time
  const f = M[name] as (x: Tensor) => Tensor;
  P[name] = function (this: Tensor) {
    return f(this);
  };
}
P.relu = function () {
  return N.relu(this);
};
P.clamp = function (min, max) {
  return M.clamp(this, min, max);
};
P.maximum = function (o) {
  return M.maximum(this, o);
};
P.minimum = function (o) {
  return M.minimum(this, o);
};
for (const name of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
  // biome-ignore lint/performance/noDynamicNamespaceImportAccess: one method per op name, looked up once at load time
  const f = M[name];
  P[name] = function (this: Tensor, o: TS) {
    return f(this, o);
  };
}
P.logicalAnd = function (o) {
  return M.logicalAnd(this, o);
};
P.logicalOr = function (o) {
  return M.logicalOr(this, o);
};
P.sum = function (dim, keepdim, dtype) {
  return M.sum(this, dim, keepdim, dtype);
};
P.mean = function (dim, keepdim, dtype) {
  return M.mean(this, dim, keepdim, dtype);
};
P.prod = function (dim, keepdim) {
  return M.prod(this, dim, keepdim);
};
P.max = function (this: Tensor, dim?: number, keepdim?: boolean) {
  return dim === undefined ? M.max(this) : M.max(this, dim, keepdim);
} as Tensor['max'];
P.min = function (this: Tensor, dim?: number, keepdim?: boolean) {
  return dim === undefined ? M.min(this) : M.min(this, dim, keepdim);
} as Tensor['min'];
P.argmax = function (dim, keepdim) {
  return M.argmax(this, dim, keepdim);
};
P.argmin = function (dim, keepdim) {
  return M.argmin(this, dim, keepdim);
};
P.logsumexp = function (dim, keepdim) {
  return M.logsumexp(this, dim, keepdim);
};
P.var = function (dim, keepdim, correction) {
  return M.variance(this, dim, keepdim, correction);
};
P.std = function (dim, keepdim, correction) {
  return M.std(this, dim, keepdim, correction);
};
P.norm = function (p, dim, keepdim) {
  return M.norm(this, p, dim, keepdim);
};
P.all = function (dim, keepdim) {
  return M.all(this, dim, keepdim);
};
P.any = function (dim, keepdim) {
  return M.any(this, dim, keepdim);
};
P.cumsum = function (dim) {
  return M.cumsum(this, dim);
};
P.topk = function (k, dim, largest, sorted) {
  return M.topk(this, k, dim, largest, sorted);
};
P.sort = function (dim, descending) {
  return M.sort(this, dim, descending);
};
P.argsort = function (dim, descending) {
  return M.argsort(this, dim, descending);
};
P.matmul = function (o) {
  return M.matmul(this, o);
};
P.mm = function (o) {
  return M.mm(this, o);
};
P.bmm = function (o) {
  return M.bmm(this, o);
};
P.softmax = function (dim) {
  return M.softmax(this, dim);
};
P.logSoftmax = function (dim) {
  return M.logSoftmax(this, dim);
};

P.reshape = function (...shape) {
  return S.reshape(this, shapeArgs(shape));
};
P.view = function (...shape) {
  return S.view(this, shapeArgs(shape));
};
P.permute = function (...dims) {
  return S.permute(this, shapeArgs(dims));
};
P.transpose = function (d0, d1) {
  return S.transpose(this, d0, d1);
};
P.t = function () {
  return S.t(this);
};
P.contiguous = function () {
  return S.contiguous(this);
};
P.squeeze = function (dim) {
  return S.squeeze(this, dim);
};
P.unsqueeze = function (dim) {
  return S.unsqueeze(this, dim);
};
P.expand = function (...shape) {
  return S.expand(this, shapeArgs(shape));
};
P.expandAs = function (o) {
  return S.expandAs(this, o);
};
P.flatten = function (s, e) {
  return S.flatten(this, s, e);
};
P.unflatten = function (dim, sizes) {
  return S.unflatten(this, dim, sizes);
};
P.slice = function (dim, start, end, step) {
  return S.slice(this, dim, start, end, step);
};
P.select = function (dim, i) {
  return S.select(this, dim, i);
};
P.narrow = function (dim, start, length) {
  return S.narrow(this, dim, start, length);
};
P.indexSelect = function (dim, i) {
  return S.indexSelect(this, dim, i);
};
P.gather = function (dim, i) {
  return S.gather(this, dim, i);
};
P.scatter = function (dim, i, src) {
  return S.scatter(this, dim, i, src);
};
P.scatterAdd = function (dim, i, src) {
  return S.scatterAdd(this, dim, i, src);
};
P.maskedFill = function (mask, value) {
  return S.maskedFill(this, mask, value);
};
P.maskedSelect = function (mask) {
  return S.maskedSelect(this, mask);
};
P.split = function (size, dim) {
  return S.split(this, size, dim);
};
P.chunk = function (chunks, dim) {
  return S.chunk(this, chunks, dim);
};
P.unbind = function (dim) {
  return S.unbind(this, dim);
};
P.flip = function (dims) {
  return S.flip(this, dims);
};
P.roll = function (shifts, dims) {
  return S.roll(this, shifts, dims);
};
P.repeat = function (...r) {
  return S.repeat(this, r);
};
P.index = function (...specs) {
  return S.index(this, ...specs);
};
P.indexPut_ = function (indices, values, acc) {
  return S.indexPut_(this, indices, values, acc);
};
P.clone = function () {
  return S.clone(this);
};
P.detach = function () {
  return S.detach(this);
};
P.to = function (target) {
  return S.to(this, target);
};
P.float = function () {
  return S.to(this, 'float32');
};
P.double = function () {
  return S.to(this, 'float64');
};
P.long = function () {
  return S.to(this, 'int64');
};
P.int = function () {
  return S.to(this, 'int32');
};
P.bool = function () {
  return S.to(this, 'bool');
};

// In place: the bridge hands back our own handle, so nothing new is wrapped.
function inPlace(tensorOp: string, scalarOp?: string) {
  const t = lazyOp(tensorOp);
  const s = scalarOp ? lazyOp(scalarOp) : t;
  return (self: Tensor, other: unknown, ...rest: unknown[]) => {
    if (other instanceof Tensor) native.callOp(t(), self.handle, other.handle, ...rest);
    else native.callOp(s(), self.handle, other, ...rest);
    return self;
  };
}
const add_ = inPlace('aten::add_.Tensor', 'aten::add_.Scalar');
const sub_ = inPlace('aten::sub_.Tensor', 'aten::sub_.Scalar');
const mul_ = inPlace('aten::mul_.Tensor', 'aten::mul_.Scalar');
const div_ = inPlace('aten::div_.Tensor', 'aten::div_.Scalar');
const lerpT = lazyOp('aten::lerp_.Tensor');
const lerpS = lazyOp('aten::lerp_.Scalar');
const fill_ = inPlace('aten::fill_.Tensor', 'aten::fill_.Scalar');
const addcmulOp = lazyOp('aten::addcmul_');
const addcdivOp = lazyOp('aten::addcdiv_');
const sqrtOp = lazyOp('aten::sqrt_');
const clampOp = lazyOp('aten::clamp_');
const reluOp = lazyOp('aten::relu_');
const zeroOp = lazyOp('aten::zero_');
const copyOp = lazyOp('aten::copy_');
const uniformOp = lazyOp('aten::uniform_');
const normalOp = lazyOp('aten::normal_');
const bernoulliOp = lazyOp('aten::bernoulli_.float');
const maskedFillOp = lazyOp('aten::masked_fill_.Scalar');
const detachOp = lazyOp('aten::detach_');

P.add_ = function (o, alpha = 1) {
  return add_(this, o, alpha) as any;
};
P.sub_ = function (o, alpha = 1) {
  return sub_(this, o, alpha) as any;
};
P.mul_ = function (o) {
  return mul_(this, o) as any;
};
P.div_ = function (o) {
  return div_(this, o) as any;
};
P.lerp_ = function (end, weight) {
  if (weight instanceof Tensor) native.callOp(lerpT(), this.handle, end.handle, weight.handle);
  else native.callOp(lerpS(), this.handle, end.handle, weight);
  return this;
};
P.fill_ = function (value) {
  return fill_(this, value) as any;
};
P.addcmul_ = function (t1, t2, value = 1) {
  native.callOp(addcmulOp(), this.handle, t1.handle, t2.handle, value);
  return this;
};
P.addcdiv_ = function (t1, t2, value = 1) {
  native.callOp(addcdivOp(), this.handle, t1.handle, t2.handle, value);
  return this;
};
P.sqrt_ = function () {
  native.callOp(sqrtOp(), this.handle);
  return this;
};
P.clamp_ = function (min, max) {
  native.callOp(clampOp(), this.handle, min ?? null, max ?? null);
  return this;
};
P.clampMin_ = function (min) {
  native.callOp(clampOp(), this.handle, min, null);
  return this;
};
P.relu_ = function () {
  native.callOp(reluOp(), this.handle);
  return this;
};
P.zero_ = function () {
  native.callOp(zeroOp(), this.handle);
  return this;
};
P.copy_ = function (src) {
  native.callOp(copyOp(), this.handle, src.handle);
  return this;
};
P.uniform_ = function (from = 0, to = 1) {
  native.callOp(uniformOp(), this.handle, from, to);
  return this;
};
P.normal_ = function (mean = 0, std = 1) {
  native.callOp(normalOp(), this.handle, mean, std);
  return this;
};
P.bernoulli_ = function (p = 0.5) {
  native.callOp(bernoulliOp(), this.handle, p);
  return this;
};
P.maskedFill_ = function (mask, value) {
  native.callOp(maskedFillOp(), this.handle, mask.handle, value);
  return this;
};
P.detach_ = function () {
  native.callOp(detachOp(), this.handle);
  return this;
};

// Elementwise math, comparisons, reductions and linear algebra.
import { callTensor, callTensors, handles } from '../dispatch.js';
import { type DType, dtypeCode } from '../dtype.js';
import { native } from '../native.js';
import { lazyOp } from '../op-registry.js';
import { Tensor } from '../tensor.js';

export type TensorOrScalar = Tensor | number;

function binary(tensorOp: string, scalarOp: string) {
  const t = lazyOp(tensorOp);
  const s = lazyOp(scalarOp);
  return (a: Tensor, b: TensorOrScalar): Tensor =>
    typeof b === 'number' || typeof b === 'boolean' ? callTensor(s(), a.handle, b) : callTensor(t(), a.handle, b.handle);
}

function unary(op: string) {
  const id = lazyOp(op);
  return (a: Tensor): Tensor => callTensor(id(), a.handle);
}

const addT = lazyOp('aten::add.Tensor');
const addS = lazyOp('aten::add.Scalar');
const subT = lazyOp('aten::sub.Tensor');
const subS = lazyOp('aten::sub.Scalar');
/** a + alpha * b */
export const add = (a: Tensor, b: TensorOrScalar, alpha = 1): Tensor =>
  typeof b === 'number' ? callTensor(addS(), a.handle, b, alpha) : callTensor(addT(), a.handle, b.handle, alpha);
/** a - alpha * b */
export const sub = (a: Tensor, b: TensorOrScalar, alpha = 1): Tensor =>
  typeof b === 'number' ? callTensor(subS(), a.handle, b, alpha) : callTensor(subT(), a.handle, b.handle, alpha);
export const mul = binary('aten::mul.Tensor', 'aten::mul.Scalar');
export const div = binary('aten::div.Tensor', 'aten::div.Scalar');
export const pow = binary('aten::pow.Tensor_Tensor', 'aten::pow.Tensor_Scalar');
export const remainder = binary('aten::remainder.Tensor', 'aten::remainder.Scalar');
export const fmod = binary('aten::fmod.Tensor', 'aten::fmod.Scalar');
const divMode = lazyOp('aten::div.Tensor_mode');
const divModeS = lazyOp('aten::div.Scalar_mode');
/** Division with rounding: 'trunc' or 'floor' (PyTorch's rounding_mode). */
export const divRounded = (a: Tensor, b: TensorOrScalar, mode: 'trunc' | 'floor'): Tensor =>
  typeof b === 'number' ? callTensor(divModeS(), a.handle, b, mode) : callTensor(divMode(), a.handle, b.handle, mode);
const maximumOp = lazyOp('aten::maximum');
const minimumOp = lazyOp('aten::minimum');
export const maximum = (a: Tensor, b: Tensor) => callTensor(maximumOp(), a.handle, b.handle);
export const minimum = (a: Tensor, b: Tensor) => callTensor(minimumOp(), a.handle, b.handle);

export const eq = binary('aten::eq.Tensor', 'aten::eq.Scalar');
export const ne = binary('aten::ne.Tensor', 'aten::ne.Scalar');
export const lt = binary('aten::lt.Tensor', 'aten::lt.Scalar');
export const le = binary('aten::le.Tensor', 'aten::le.Scalar');
export const gt = binary('aten::gt.Tensor', 'aten::gt.Scalar');
export const ge = binary('aten::ge.Tensor', 'aten::ge.Scalar');
const logicalAndOp = lazyOp('aten::logical_and');
const logicalOrOp = lazyOp('aten::logical_or');
export const logicalAnd = (a: Tensor, b: Tensor) => callTensor(logicalAndOp(), a.handle, b.handle);
export const logicalOr = (a: Tensor, b: Tensor) => callTensor(logicalOrOp(), a.handle, b.handle);
export const logicalNot = unary('aten::logical_not');
const allcloseOp = lazyOp('aten::allclose');
/** True when |a - b| <= atol + rtol * |b| everywhere (as torch.allclose). */
export const allclose = (a: Tensor, b: Tensor, rtol = 1e-5, atol = 1e-8, equalNan = false): boolean =>
  native.callOp(allcloseOp(), a.handle, b.handle, rtol, atol, equalNan) as boolean;

export const neg = unary('aten::neg');
export const abs = unary('aten::abs');
export const sign = unary('aten::sign');
export const sqrt = unary('aten::sqrt');
export const rsqrt = unary('aten::rsqrt');
export const exp = unary('aten::exp');
export const log = unary('aten::log');
export const log1p = unary('aten::log1p');
export const expm1 = unary('aten::expm1');
export const log2 = unary('aten::log2');
export const sin = unary('aten::sin');
export const cos = unary('aten::cos');
export const tanh = unary('aten::tanh');
export const sigmoid = unary('aten::sigmoid');
export const reciprocal = unary('aten::reciprocal');
export const square = unary('aten::square');
export const floor = unary('aten::floor');
export const ceil = unary('aten::ceil');
export const round = unary('aten::round');
export const trunc = unary('aten::trunc');
export const isnan = unary('aten::isnan');
export const isfinite = unary('aten::isfinite');
export const isinf = unary('aten::isinf');

const clampOp = lazyOp('aten::clamp');
const clampT = lazyOp('aten::clamp.Tensor');
/** Limits values to [min, max]; either bound may be omitted (null/undefined). */
export function clamp(a: Tensor, min?: TensorOrScalar | null, max?: TensorOrScalar | null): Tensor {
  if (min instanceof Tensor || max instanceof Tensor) {
    return callTensor(clampT(), a.handle, min instanceof Tensor ? min.handle : null, max instanceof Tensor ? max.handle : null);
  }
  if (min == null && max == null) throw new Error('clamp(): give at least one of min and max');
  return callTensor(clampOp(), a.handle, min ?? null, max ?? null);
}

const whereSelf = lazyOp('aten::where.self');
const whereScalarOther = lazyOp('aten::where.ScalarOther');
const whereScalarSelf = lazyOp('aten::where.ScalarSelf');
const whereScalar = lazyOp('aten::where.Scalar');
/** Elements of a where condition is true, of b elsewhere (broadcast). */
export function where(condition: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (a instanceof Tensor && b instanceof Tensor) return callTensor(whereSelf(), condition.handle, a.handle, b.handle);
  if (a instanceof Tensor) return callTensor(whereScalarOther(), condition.handle, a.handle, b);
  if (b instanceof Tensor) return callTensor(whereScalarSelf(), condition.handle, a, b.handle);
  return callTensor(whereScalar(), condition.handle, a, b);
}

// ---- reductions ----
export type Dims = number | number[];
const sumAll = lazyOp('aten::sum');
const sumDim = lazyOp('aten::sum.dim_IntList');
const meanAll = lazyOp('aten::mean');
const meanDim = lazyOp('aten::mean.dim');
export const sum = (a: Tensor, dim?: Dims, keepdim = false, dtype?: DType): Tensor =>
  dim === undefined
    ? callTensor(sumAll(), a.handle, dtype && dtypeCode(dtype))
    : callTensor(sumDim(), a.handle, dim, keepdim, dtype && dtypeCode(dtype));
export const mean = (a: Tensor, dim?: Dims, keepdim = false, dtype?: DType): Tensor =>
  dim === undefined
    ? callTensor(meanAll(), a.handle, dtype && dtypeCode(dtype))
    : callTensor(meanDim(), a.handle, dim, keepdim, dtype && dtypeCode(dtype));
const prodAll = lazyOp('aten::prod');
const prodDim = lazyOp('aten::prod.dim_int');
export const prod = (a: Tensor, dim?: number, keepdim = false): Tensor =>
  dim === undefined ? callTensor(prodAll(), a.handle) : callTensor(prodDim(), a.handle, dim, keepdim);

const maxAll = lazyOp('aten::max');
const maxDim = lazyOp('aten::max.dim');
const minAll = lazyOp('aten::min');
const minDim = lazyOp('aten::min.dim');
export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}
/** The largest element; with `dim`, the values and their indices along it. */
export function max(a: Tensor): Tensor;
export function max(a: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(a: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  if (dim === undefined) return callTensor(maxAll(), a.handle);
  const [values, indices] = callTensors(maxDim(), a.handle, dim, keepdim);
  return { values, indices };
}
export function min(a: Tensor): Tensor;
export function min(a: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(a: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  if (dim === undefined) return callTensor(minAll(), a.handle);
  const [values, indices] = callTensors(minDim(), a.handle, dim, keepdim);
  return { values, indices };
}
const argmaxOp = lazyOp('aten::argmax');
const argminOp = lazyOp('aten::argmin');
export const argmax = (a: Tensor, dim?: number, keepdim = false) => callTensor(argmaxOp(), a.handle, dim ?? null, keepdim);
export const argmin = (a: Tensor, dim?: number, keepdim = false) => callTensor(argminOp(), a.handle, dim ?? null, keepdim);
const logsumexpOp = lazyOp('aten::logsumexp');
export const logsumexp = (a: Tensor, dim: Dims, keepdim = false) => callTensor(logsumexpOp(), a.handle, dim, keepdim);
const varOp = lazyOp('aten::var.correction');
const stdOp = lazyOp('aten::std.correction');
/** Variance over `dim` (all elements when omitted); correction 1 is the unbiased estimate, as PyTorch's default. */
export const variance = (a: Tensor, dim?: Dims, keepdim = false, correction = 1) =>
  callTensor(varOp(), a.handle, dim ?? null, correction, keepdim);
export const std = (a: Tensor, dim?: Dims, keepdim = false, correction = 1) =>
  callTensor(stdOp(), a.handle, dim ?? null, correction, keepdim);
const normOp = lazyOp('aten::linalg_vector_norm');
/** The p-norm of the elements (over `dim` when given), as torch.linalg.vector_norm. */
export const norm = (a: Tensor, p = 2, dim?: Dims, keepdim = false) => callTensor(normOp(), a.handle, p, dim ?? null, keepdim);
const allOp = lazyOp('aten::all');
const anyOp = lazyOp('aten::any');
const allDims = lazyOp('aten::all.dims');
const anyDims = lazyOp('aten::any.dims');
export const all = (a: Tensor, dim?: Dims, keepdim = false) =>
  dim === undefined ? callTensor(allOp(), a.handle) : callTensor(allDims(), a.handle, dim, keepdim);
export const any = (a: Tensor, dim?: Dims, keepdim = false) =>
  dim === undefined ? callTensor(anyOp(), a.handle) : callTensor(anyDims(), a.handle, dim, keepdim);
const cumsumOp = lazyOp('aten::cumsum');
export const cumsum = (a: Tensor, dim: number) => callTensor(cumsumOp(), a.handle, dim);
const topkOp = lazyOp('aten::topk');
export function topk(a: Tensor, k: number, dim = -1, largest = true, sorted = true): ValuesIndices {
  const [values, indices] = callTensors(topkOp(), a.handle, k, dim, largest, sorted);
  return { values, indices };
}
const sortOp = lazyOp('aten::sort.stable');
export function sort(a: Tensor, dim = -1, descending = false, stable = false): ValuesIndices {
  const [values, indices] = callTensors(sortOp(), a.handle, stable, dim, descending);
  return { values, indices };
}
const argsortOp = lazyOp('aten::argsort.stable');
export const argsort = (a: Tensor, dim = -1, descending = false, stable = false) =>
  callTensor(argsortOp(), a.handle, stable, dim, descending);

// ---- linear algebra ----
const matmulOp = lazyOp('aten::matmul');
const mmOp = lazyOp('aten::mm');
const bmmOp = lazyOp('aten::bmm');
const einsumOp = lazyOp('aten::einsum');
const outerOp = lazyOp('aten::outer');
export const matmul = (a: Tensor, b: Tensor) => callTensor(matmulOp(), a.handle, b.handle);
export const mm = (a: Tensor, b: Tensor) => callTensor(mmOp(), a.handle, b.handle);
export const bmm = (a: Tensor, b: Tensor) => callTensor(bmmOp(), a.handle, b.handle);
export const outer = (a: Tensor, b: Tensor) => callTensor(outerOp(), a.handle, b.handle);
export const einsum = (equation: string, ...operands: Tensor[]) => callTensor(einsumOp(), equation, handles(operands));
const softmaxOp = lazyOp('aten::softmax.int');
const logSoftmaxOp = lazyOp('aten::log_softmax.int');
export const softmax = (a: Tensor, dim: number, dtype?: DType) => callTensor(softmaxOp(), a.handle, dim, dtype && dtypeCode(dtype));
export const logSoftmax = (a: Tensor, dim: number, dtype?: DType) => callTensor(logSoftmaxOp(), a.handle, dim, dtype && dtypeCode(dtype));

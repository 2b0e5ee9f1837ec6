// Default collation: a list of samples to one batch with the same structure.
import { tensor } from '../ops/creation.js';
import { stack } from '../ops/shape.js';
import { Tensor } from '../tensor.js';
import type { AnyTypedArray } from './array-ops.js';

/**
 * Collates samples as PyTorch's default_collate does:
 * - Tensors are stacked along a new first dimension;
 * - numbers become a tensor of shape [batch]: int64 when all are integers, float32 otherwise
 *   (JavaScript has one number type; PyTorch would give float64 for Python floats);
 * - booleans become a bool tensor;
 * - TypedArrays of equal length become a [batch, length] tensor of their element type;
 * - arrays are tuples: position k of the batch collates position k of every sample;
 * - plain objects collate key by key (every sample must have the same keys);
 * - strings, null and undefined stay as arrays of the values.
 */
export function defaultCollate(samples: readonly unknown[]): unknown {
  if (samples.length === 0) throw new Error('collate: no samples to collate');
  return collate(samples, 'batch');
}

function collate(samples: readonly unknown[], path: string): unknown {
  const first = samples[0];
  const mismatch = (what: string) => new Error(`collate: ${path}: ${what}`);
  if (first instanceof Tensor) {
    if (!samples.every((s) => s instanceof Tensor)) throw mismatch('some samples are tensors and some are not');
    const shapes = (samples as Tensor[]).map((t) => t.shape.join(','));
    if (shapes.some((s) => s !== shapes[0]))
      throw mismatch(`tensors of different shapes cannot be stacked: [${shapes[0]}] and [${shapes.find((s) => s !== shapes[0])}]`);
    return stack(samples as Tensor[], 0);
  }
  if (typeof first === 'number') {
    if (!samples.every((s) => typeof s === 'number')) throw mismatch('mixes numbers with other types');
    const values = samples as number[];
    if (values.every(Number.isInteger) && values.every((v) => Math.abs(v) <= Number.MAX_SAFE_INTEGER)) {
      return tensor(BigInt64Array.from(values, (v) => BigInt(v)));
    }
    return tensor(Float32Array.from(values));
  }
  if (typeof first === 'boolean') {
    if (!samples.every((s) => typeof s === 'boolean')) throw mismatch('mixes booleans with other types');
    return tensor(samples as boolean[]);
  }
  if (ArrayBuffer.isView(first) && !(first instanceof DataView)) {
    const ctor = (first as AnyTypedArray).constructor as { new (n: number): AnyTypedArray };
    const len = (first as AnyTypedArray).length;
    if (!samples.every((s) => s instanceof ctor && (s as AnyTypedArray).length === len)) {
      throw mismatch(`TypedArrays must all be ${ctor.name} of length ${len}`);
    }
    const out = new ctor(len * samples.length);
    samples.forEach((s, i) => (out as Uint8Array).set(s as Uint8Array, i * len));
    return tensor(out, { shape: [samples.length, len] });
  }
  if (Array.isArray(first)) {
    const n = first.length;
    if (!samples.every((s) => Array.isArray(s) && s.length === n)) throw mismatch(`every sample must be an array of length ${n}`);
    return first.map((_, k) =>
      collate(
        samples.map((s) => (s as unknown[])[k]),
        `${path}[${k}]`,
      ),
    );
  }
  if (
    first !== null &&
    typeof first === 'object' &&
    (Object.getPrototypeOf(first) === Object.prototype || Object.getPrototypeOf(first) === null)
  ) {
    const keys = Object.keys(first);
    const sig = [...keys].sort().join('\u0000');
    for (const s of samples) {
      if (s === null || typeof s !== 'object' || Object.keys(s).sort().join('\u0000') !== sig) {
        throw mismatch(`every sample must be an object with the keys {${keys.join(', ')}}`);
      }
    }
    return Object.fromEntries(
      keys.map((k) => [
        k,
        collate(
          samples.map((s) => (s as Record<string, unknown>)[k]),
          `${path}.${k}`,
        ),
      ]),
    );
  }
  if (typeof first === 'string' || first === null || first === undefined) return [...samples];
  throw mismatch(`cannot collate a ${typeof first === 'object' ? ((first as object).constructor?.name ?? 'object') : typeof first}`);
}

// Shared test helpers: numerical gradient checking (as torch.autograd.gradcheck),
// closeness assertions, error assertions and fixture paths.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';

/** The source folder test/fixtures (tests run from dist/test, fixtures stay in the source tree). */
export const fixturesDir = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

export interface GradcheckOptions {
  /** Finite-difference step (central differences). */
  eps?: number;
  /** Allowed |numerical - analytical| <= atol + rtol * |numerical|. */
  atol?: number;
  rtol?: number;
}

export interface GradcheckReport {
  /** Largest absolute difference found, over all checked inputs. */
  maxAbsError: number;
  /** Number of input elements perturbed. */
  checked: number;
}

/**
 * Checks the gradients autograd computes for `fn` against central finite
 * differences, like torch.autograd.gradcheck. Every input with requiresGrad
 * (which must be float64) is checked element by element; other inputs (indices)
 * are passed unchanged. A non-scalar output is reduced with a fixed random
 * projection sum(out * w), so every output element contributes. Throws an
 * AssertionError naming the input and element on the first mismatch.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  const differentiable = inputs.map((t) => t.requiresGrad);
  assert.ok(differentiable.some(Boolean), 'gradcheck: no input requires grad');
  inputs.forEach((t, i) => {
    if (differentiable[i]) assert.equal(t.dtype, 'float64', `gradcheck: input ${i} must be float64, got ${t.dtype}`);
  });

  return torch.tidy(() => {
    // The projection that turns any output into a scalar.
    const probe = torch.noGrad(() => fn(...inputs));
    const weights = torch.randn(probe.shape, { dtype: 'float64' });
    const scalar = (out: Tensor) => (out.numel() === 1 && out.ndim === 0 ? out : out.mul(weights).sum());

    const loss = scalar(fn(...inputs));
    const wrt = inputs.filter((_, i) => differentiable[i]);
    const analytical = torch.grad(loss, wrt, { allowUnused: true });

    let maxAbsError = 0;
    let checked = 0;
    let k = 0;
    for (let i = 0; i < inputs.length; ++i) {
      if (!differentiable[i]) continue;
      const grad = analytical[k++];
      const expected = grad ? (grad.data() as Float64Array) : new Float64Array(inputs[i].numel());
      const base = inputs[i].detach().contiguous().data() as Float64Array;
      const shape = inputs[i].shape;
      const evaluate = (values: Float64Array): number =>
        torch.tidy(() =>
          torch.noGrad(() => {
            const args = inputs.map((t, j) => (j === i ? torch.tensor(values, { shape }) : t.detach()));
            return scalar(fn(...args)).item();
          }),
        );
      for (let e = 0; e < base.length; ++e) {
        const plus = Float64Array.from(base);
        const minus = Float64Array.from(base);
        plus[e] += eps;
        minus[e] -= eps;
        const numerical = (evaluate(plus) - evaluate(minus)) / (2 * eps);
        const error = Math.abs(numerical - expected[e]);
        maxAbsError = Math.max(maxAbsError, error);
        checked++;
        if (!(error <= atol + rtol * Math.abs(numerical))) {
          assert.fail(`gradcheck: input ${i} element ${e}: numerical ${numerical} vs analytical ${expected[e]} (|diff| ${error})`);
        }
      }
    }
    return { maxAbsError, checked };
  });
}

/** A float64 tensor with requiresGrad, drawn from randn (scaled). */
export function param(shape: number[], scale = 1): Tensor {
  return torch.randn(shape, { dtype: 'float64' }).mul_(scale).requiresGrad_();
}

/** Asserts two tensors (or a tensor and nested numbers) are elementwise within atol + rtol*|expected|. */
export function assertClose(
  actual: Tensor | number[] | number,
  expected: Tensor | number[] | number,
  atol = 1e-6,
  rtol = 1e-5,
  what = '',
): void {
  const flat = (v: Tensor | number[] | number): number[] =>
    typeof v === 'number'
      ? [v]
      : Array.isArray(v)
        ? (v.flat(Infinity) as number[])
        : Array.from(v.data() as ArrayLike<number | bigint>, Number);
  const a = flat(actual);
  const b = flat(expected);
  assert.equal(a.length, b.length, `${what} length ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; ++i) {
    const ok = (Number.isNaN(a[i]) && Number.isNaN(b[i])) || Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]);
    if (!ok) assert.fail(`${what} element ${i}: ${a[i]} vs expected ${b[i]}`);
  }
}

/** Runs fn, expects an Error whose message matches every pattern; returns the message. */
export function expectError(fn: () => unknown, ...patterns: RegExp[]): string {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, `expected an Error, got ${caught === undefined ? 'no throw' : String(caught)}`);
  for (const p of patterns) assert.match(caught.message, p);
  return caught.message;
}

/**
 * Runs this file's tests on one intra-op thread (restored afterwards). The tests'
 * tensors are tiny, and on a loaded 2-core machine libtorch's spinning worker
 * threads make small ops ten times slower than one thread does.
 */
export function useOneThread(): void {
  let previous = 0;
  before(() => {
    previous = torch.getNumThreads();
    torch.setNumThreads(1);
  });
  after(() => torch.setNumThreads(previous));
}

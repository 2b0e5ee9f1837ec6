// Autograd: requiresGrad, backward (with a gradient, retainGraph), accumulation,
// detach, grad modes, inference mode, and torch.autograd.grad incl. second derivatives.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../src/index.js';
import { assertClose, expectError, useOneThread } from './helpers.js';

useOneThread();

const f64 = (v: number[]) => torch.tensor(v, { dtype: 'float64' });

describe('requiresGrad, leaves and backward', () => {
  test('requiresGrad flags, leaves and grad_fn names', () => {
    const x = f64([1, 2]);
    assert.equal(x.requiresGrad, false);
    x.requiresGrad = true;
    assert.equal(x.requiresGrad, true);
    assert.equal(x.isLeaf, true);
    assert.equal(x.gradFn, null);
    assert.equal(x.grad, null);
    const y = x.mul(x).sum();
    assert.equal(y.requiresGrad, true);
    assert.equal(y.isLeaf, false);
    assert.equal(y.gradFn, 'SumBackward0');
    assert.equal(f64([1]).add(1).requiresGrad, false);
  });

  test('backward of a scalar fills .grad of the leaves', () => {
    const x = f64([1, 2, 3]).requiresGrad_();
    x.pow(2).sum().backward();
    assert.deepEqual(x.grad!.tolist(), [2, 4, 6]);
  });

  test('backward of a non-scalar takes a gradient (vector-Jacobian product)', () => {
    const x = f64([1, 2, 3]).requiresGrad_();
    const y = x.mul(x);
    y.backward(f64([1, 0.5, -1]));
    assert.deepEqual(x.grad!.tolist(), [2, 2, -6]);
  });

  test('a second backward through a freed graph is an Error; retainGraph allows it and grads accumulate', () => {
    const x = f64([3]).requiresGrad_();
    const y = x.mul(x).sum();
    y.backward(undefined, { retainGraph: true });
    assert.deepEqual(x.grad!.tolist(), [6]);
    y.backward();
    assert.deepEqual(x.grad!.tolist(), [12]); // accumulated
    expectError(() => y.backward(), /backward/, /Trying to backward through the graph a second time/);
    // The engine still works, and zeroing the gradient starts afresh.
    torch.noGrad(() => x.grad!.zero_());
    x.mul(5).sum().backward();
    assert.deepEqual(x.grad!.tolist(), [5]);
  });

  test('gradients accumulate across separate graphs until cleared; .grad can be set to null', () => {
    const w = f64([1, 1]).requiresGrad_();
    for (let i = 0; i < 3; ++i)
      w.mul(f64([1, 2]))
        .sum()
        .backward();
    assert.deepEqual(w.grad!.tolist(), [3, 6]);
    w.grad = null;
    assert.equal(w.grad, null);
    w.sum().backward();
    assert.deepEqual(w.grad!.tolist(), [1, 1]);
    w.grad = f64([7, 7]);
    w.sum().backward();
    assert.deepEqual(w.grad!.tolist(), [8, 8]);
  });

  test('retainGrad keeps the gradient of a non-leaf', () => {
    const x = f64([2]).requiresGrad_();
    const h = x.mul(3).retainGrad();
    h.pow(2).sum().backward();
    assert.deepEqual(h.grad!.tolist(), [12]);
    assert.deepEqual(x.grad!.tolist(), [36]);
  });

  test('detach cuts the graph but shares the data', () => {
    const x = f64([1, 2]).requiresGrad_();
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    const y = x.mul(d).sum(); // d is a constant: dy/dx = d
    y.backward();
    assert.deepEqual(x.grad!.tolist(), [1, 2]);
    torch.noGrad(() => d.add_(10));
    assert.deepEqual(x.tolist(), [11, 12]);
    const e = x.mul(2).detach_();
    assert.equal(e.requiresGrad, false);
    assert.equal(e.gradFn, null);
  });
});

describe('grad modes', () => {
  test('noGrad records nothing and restores the mode, even when its function throws', () => {
    const x = f64([1]).requiresGrad_();
    assert.equal(torch.isGradEnabled(), true);
    const y = torch.noGrad(() => {
      assert.equal(torch.isGradEnabled(), false);
      return x.mul(2);
    });
    assert.equal(y.requiresGrad, false);
    assert.equal(torch.isGradEnabled(), true);
    assert.throws(
      () =>
        torch.noGrad(() => {
          throw new Error('inner');
        }),
      /inner/,
    );
    assert.equal(torch.isGradEnabled(), true);
    assert.throws(() => torch.noGrad((async () => 1) as unknown as () => number), /synchronous/);
    assert.equal(torch.isGradEnabled(), true);
  });

  test('enableGrad inside noGrad records again; setGradEnabled returns the previous mode', () => {
    const x = f64([1]).requiresGrad_();
    const y = torch.noGrad(() => torch.enableGrad(() => x.mul(2)));
    assert.equal(y.requiresGrad, true);
    assert.equal(torch.setGradEnabled(false), true);
    assert.equal(x.mul(2).requiresGrad, false);
    assert.equal(torch.setGradEnabled(true), false);
  });

  test('inferenceMode: no autograd, flag visible inside only, and its tensors cannot join a graph later', () => {
    const w = f64([2]).requiresGrad_();
    assert.equal(torch.isInferenceMode(), false);
    const out = torch.inferenceMode(() => {
      assert.equal(torch.isInferenceMode(), true);
      return w.mul(3);
    });
    assert.equal(torch.isInferenceMode(), false);
    assert.equal(out.requiresGrad, false);
    assert.deepEqual(out.tolist(), [6]);
    expectError(() => w.mul(out).sum().backward(), /Inference tensors cannot be saved for backward/);
    assert.throws(
      () =>
        torch.inferenceMode(() => {
          throw new Error('from inside');
        }),
      /from inside/,
    );
    assert.equal(torch.isInferenceMode(), false);
    assert.equal(w.mul(2).requiresGrad, true);
  });
});

describe('torch.autograd.grad', () => {
  test('returns gradients without touching .grad; allowUnused gives null', () => {
    const x = f64([1, 2]).requiresGrad_();
    const z = f64([5]).requiresGrad_();
    const y = x.pow(3).sum();
    const [gx] = torch.grad(y, x);
    assert.deepEqual(gx!.tolist(), [3, 12]);
    assert.equal(x.grad, null);
    const [a, b] = torch.grad(x.sum(), [x, z], { allowUnused: true });
    assert.deepEqual(a!.tolist(), [1, 1]);
    assert.equal(b, null);
    expectError(
      () => torch.grad(x.sum(), [x, z]),
      /autogradGrad: element 1 ?of the differentiated Tensors appears to not have been used in the graph/,
    );
  });

  test('gradOutputs weight a non-scalar output', () => {
    const x = f64([1, 2]).requiresGrad_();
    const [g] = torch.grad(x.mul(x), x, { gradOutputs: [f64([10, 1])] });
    assert.deepEqual(g!.tolist(), [20, 4]);
  });

  test('createGraph gives second derivatives (and third)', () => {
    const x = f64([0.5, 2]).requiresGrad_();
    const y = x.pow(3).sum();
    const [d1] = torch.grad(y, x, { createGraph: true });
    assert.equal(d1!.requiresGrad, true);
    assert.deepEqual(d1!.tolist(), [0.75, 12]);
    const [d2] = torch.grad(d1!.sum(), x, { createGraph: true });
    assert.deepEqual(d2!.tolist(), [3, 12]);
    const [d3] = torch.grad(d2!.sum(), x);
    assert.deepEqual(d3!.tolist(), [6, 6]);
  });

  test('a Hessian-vector product through tanh matches the closed form', () => {
    const x = f64([0.3, -0.7]).requiresGrad_();
    const [g] = torch.grad(x.tanh().sum(), x, { createGraph: true });
    const v = f64([1, 2]);
    const [hv] = torch.grad(g!.mul(v).sum(), x);
    // d2/dx2 tanh = -2 tanh(x) (1 - tanh(x)^2)
    const h = (t: number) => -2 * Math.tanh(t) * (1 - Math.tanh(t) ** 2);
    assertClose(hv!, [h(0.3) * 1, h(-0.7) * 2], 1e-14, 0);
  });

  test('backward with createGraph leaves a differentiable .grad', () => {
    const x = f64([2]).requiresGrad_();
    x.pow(3).sum().backward(undefined, { createGraph: true });
    const g = x.grad!;
    assert.deepEqual(g.tolist(), [12]);
    assert.equal(g.requiresGrad, true);
    const [gg] = torch.grad(g.sum(), x);
    assert.deepEqual(gg!.tolist(), [12]);
    x.grad = null;
  });
});

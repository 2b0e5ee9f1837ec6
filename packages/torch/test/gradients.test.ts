// Autograd against central finite differences in float64, op by op (as torch.autograd.gradcheck).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { assertClose, gradcheck, param, useOneThread } from './helpers.js';

const F = torch.nn.functional;
const long = (values: number[] | number[][], shape?: number[]) => {
  const t = torch.tensor(values, { dtype: 'int64' });
  return shape ? t.reshape(shape) : t;
};

useOneThread();
before(() => torch.manualSeed(1234));

describe('gradcheck itself', () => {
  test('accepts a correct gradient and reports what it checked', () => {
    const x = param([3, 4]);
    const report = gradcheck((a) => a.mul(a).sin(), [x]);
    assert.equal(report.checked, 12);
    assert.ok(report.maxAbsError < 1e-7, `max error ${report.maxAbsError}`);
  });

  test('refuses inputs that are not float64 (finite differences in float32 are too coarse)', () => {
    assert.throws(() => gradcheck((a) => a.mul(2), [torch.ones([2], { requiresGrad: true })]), /must be float64, got float32/);
  });

  test('rejects a wrong gradient (a detached factor hides half of d(x*x)/dx)', () => {
    const x = param([4]);
    assert.throws(() => gradcheck((a) => a.detach().mul(a), [x]), /gradcheck: input 0 element 0: numerical/);
  });
});

describe('gradients match finite differences', () => {
  test('conv2d with stride, padding and bias', () => {
    const input = param([2, 2, 5, 5]);
    const weight = param([3, 2, 3, 3], 0.5);
    const bias = param([3]);
    gradcheck((x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1 }), [input, weight, bias]);
  });

  test('conv2d with groups and asymmetric stride/padding', () => {
    const input = param([1, 4, 6, 5]);
    const weight = param([6, 2, 3, 2], 0.5);
    gradcheck((x, w) => F.conv2d(x, w, null, { stride: [1, 2], padding: [2, 1], groups: 2 }), [input, weight]);
  });

  test('conv2d with dilation and padding "same"', () => {
    const input = param([1, 2, 6, 6]);
    const weight = param([2, 2, 3, 3], 0.5);
    gradcheck((x, w) => F.conv2d(x, w, null, { dilation: 2, padding: 2 }), [input, weight]);
    gradcheck((x, w) => F.conv2d(x, w, null, { padding: 'same' }), [input, weight]);
  });

  test('batch_norm in eval mode uses the running statistics', () => {
    const input = param([3, 2, 2]);
    const weight = param([2]);
    const runningMean = torch.tensor([0.5, -1], { dtype: 'float64' });
    const runningVar = torch.tensor([2, 0.5], { dtype: 'float64' });
    gradcheck((x, w) => F.batchNorm(x, runningMean, runningVar, { weight: w, training: false }), [input, weight]);
    const out = F.batchNorm(input.detach(), runningMean, runningVar, { training: false, eps: 0 });
    assertClose(out.index(0, 1, 0).item(), (input.index(0, 1, 0).item() + 1) / Math.sqrt(0.5), 1e-12, 0);
  });

  test('batch_norm in training mode (batch statistics), weight and bias', () => {
    const input = param([4, 3, 2, 2]);
    const weight = param([3]);
    const bias = param([3]);
    const runningMean = torch.zeros([3], { dtype: 'float64' });
    const runningVar = torch.ones([3], { dtype: 'float64' });
    gradcheck((x, w, b) => F.batchNorm(x, runningMean, runningVar, { weight: w, bias: b, training: true }), [input, weight, bias]);
    // Training mode also moved the running statistics.
    assert.ok(runningMean.abs().sum().item() > 0);
  });

  test('layer_norm over the last two dimensions with weight and bias', () => {
    const input = param([3, 2, 4]);
    const weight = param([2, 4]);
    const bias = param([2, 4]);
    gradcheck((x, w, b) => F.layerNorm(x, [2, 4], w, b), [input, weight, bias]);
  });

  test('fused lstm: input, initial state and w_ih, w_hh, b_ih, b_hh', () => {
    const [seq, batch, inputSize, hidden] = [3, 2, 3, 2];
    const input = param([seq, batch, inputSize]);
    const h0 = param([1, batch, hidden], 0.5);
    const c0 = param([1, batch, hidden], 0.5);
    const wIh = param([4 * hidden, inputSize], 0.5);
    const wHh = param([4 * hidden, hidden], 0.5);
    const bIh = param([4 * hidden], 0.5);
    const bHh = param([4 * hidden], 0.5);
    const run = (x: Tensor, h: Tensor, c: Tensor, a: Tensor, b: Tensor, d: Tensor, e: Tensor) => {
      const out = F.lstm(x, [h, c], [a, b, d, e], { numLayers: 1 });
      assert.deepEqual(out.output.shape, [seq, batch, hidden]);
      return torch.cat([out.output.flatten(), out.h.flatten(), out.c.flatten()]);
    };
    gradcheck(run, [input, h0, c0, wIh, wHh, bIh, bHh]);
  });

  test('fused lstm, two layers, bidirectional, batch first (params per layer and direction)', () => {
    const [batch, seq, inputSize, hidden] = [2, 2, 2, 1];
    const params: Tensor[] = [];
    for (let layer = 0; layer < 2; ++layer) {
      for (let direction = 0; direction < 2; ++direction) {
        const inSize = layer === 0 ? inputSize : 2 * hidden;
        params.push(param([4 * hidden, inSize], 0.5), param([4 * hidden, hidden], 0.5), param([4 * hidden], 0.5), param([4 * hidden], 0.5));
      }
    }
    const input = param([batch, seq, inputSize]);
    const h0 = torch.zeros([4, batch, hidden], { dtype: 'float64' });
    const c0 = torch.zeros([4, batch, hidden], { dtype: 'float64' });
    const run = (x: Tensor, ...p: Tensor[]) => {
      const out = F.lstm(x, [h0, c0], p, { numLayers: 2, bidirectional: true, batchFirst: true });
      assert.deepEqual(out.output.shape, [batch, seq, 2 * hidden]);
      assert.deepEqual(out.h.shape, [4, batch, hidden]);
      return torch.cat([out.output.flatten(), out.c.flatten()]);
    };
    gradcheck(run, [input, ...params]);
  });

  test('lstm output matches a hand-written cell (gate order i, f, g, o)', () => {
    const x = torch.randn([2, 1, 3], { dtype: 'float64' });
    const h0 = torch.randn([1, 1, 2], { dtype: 'float64' });
    const c0 = torch.randn([1, 1, 2], { dtype: 'float64' });
    const wIh = torch.randn([8, 3], { dtype: 'float64' });
    const wHh = torch.randn([8, 2], { dtype: 'float64' });
    const bIh = torch.randn([8], { dtype: 'float64' });
    const bHh = torch.randn([8], { dtype: 'float64' });
    const fused = F.lstm(x, [h0, c0], [wIh, wHh, bIh, bHh], { numLayers: 1 });
    let h = h0.select(0, 0);
    let c = c0.select(0, 0);
    const outs: Tensor[] = [];
    for (let t = 0; t < 2; ++t) {
      const gates = F.linear(x.select(0, t), wIh, bIh).add(F.linear(h, wHh, bHh));
      const [i, f, g, o] = gates.chunk(4, 1);
      c = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
      h = o.sigmoid().mul(c.tanh());
      outs.push(h);
    }
    assertClose(fused.output, torch.stack(outs), 1e-12, 0, 'lstm output');
    assertClose(fused.c.select(0, 0), c, 1e-12, 0, 'lstm c');
  });

  test('scaled_dot_product_attention without and with a causal mask', () => {
    const q = param([2, 1, 4, 3]);
    const k = param([2, 1, 4, 3]);
    const v = param([2, 1, 4, 3]);
    gradcheck((a, b, c) => F.scaledDotProductAttention(a, b, c), [q, k, v]);
    gradcheck((a, b, c) => F.scaledDotProductAttention(a, b, c, { isCausal: true }), [q, k, v]);
  });

  test('scaled_dot_product_attention with an additive float mask and a custom scale', () => {
    const q = param([1, 2, 3, 2]);
    const k = param([1, 2, 4, 2]);
    const v = param([1, 2, 4, 2]);
    const mask = torch.randn([3, 4], { dtype: 'float64' });
    gradcheck((a, b, c) => F.scaledDotProductAttention(a, b, c, { attnMask: mask, scale: 0.3 }), [q, k, v]);
  });

  test('causal attention equals softmax(QK^T/sqrt(d) + mask) V', () => {
    const q = torch.randn([1, 1, 4, 3], { dtype: 'float64' });
    const k = torch.randn([1, 1, 4, 3], { dtype: 'float64' });
    const v = torch.randn([1, 1, 4, 3], { dtype: 'float64' });
    const future = torch.ops.aten.triu.default(torch.ones([4, 4], { dtype: 'bool' }), 1) as Tensor;
    const scores = q.matmul(k.transpose(-2, -1)).div(Math.sqrt(3)).maskedFill(future, -Infinity);
    const expected = scores.softmax(-1).matmul(v);
    assertClose(F.scaledDotProductAttention(q, k, v, { isCausal: true }), expected, 1e-12, 0, 'sdpa');
    // The first query sees only the first key: its output is v[0].
    assertClose(F.scaledDotProductAttention(q, k, v, { isCausal: true }).index(0, 0, 0), v.index(0, 0, 0), 1e-12, 0);
  });

  test('cross_entropy with ignore_index and label_smoothing', () => {
    const logits = param([5, 4]);
    const target = long([0, 3, -1, 2, -1]);
    gradcheck((x) => F.crossEntropy(x, target, { ignoreIndex: -1, labelSmoothing: 0.2 }), [logits]);
    // Ignored rows get no gradient at all.
    const loss = F.crossEntropy(logits, target, { ignoreIndex: -1, labelSmoothing: 0.2 });
    const [g] = torch.grad(loss, [logits]);
    assert.equal(g!.index(2).abs().sum().item(), 0);
    assert.equal(g!.index(4).abs().sum().item(), 0);
    assert.ok(g!.index(0).abs().sum().item() > 0);
  });

  test('cross_entropy: reduction none, class weights and probability targets', () => {
    const logits = param([3, 4]);
    const weight = torch.tensor([1, 2, 0.5, 1], { dtype: 'float64' });
    gradcheck((x) => F.crossEntropy(x, long([1, 0, 3]), { weight, reduction: 'none' }), [logits]);
    const probs = param([3, 4]);
    gradcheck((x, p) => F.crossEntropy(x, p.softmax(1)), [logits, probs]);
  });

  test('cross_entropy value: ignore_index and label_smoothing as PyTorch computes them', () => {
    // Python: F.cross_entropy(torch.tensor([[1.,2,3],[1,0,-1],[0.5,0.5,2]], dtype=torch.float64),
    //                         torch.tensor([2,-1,0]), ignore_index=-1, label_smoothing=0.1)
    const logits = torch.tensor(
      [
        [1, 2, 3],
        [1, 0, -1],
        [0.5, 0.5, 2],
      ],
      { dtype: 'float64' },
    );
    const loss = F.crossEntropy(logits, long([2, -1, 0]), { ignoreIndex: -1, labelSmoothing: 0.1 });
    const rows = [
      [1, 2, 3, 2],
      [0.5, 0.5, 2, 0],
    ];
    let expected = 0;
    for (const [a, b, c, y] of rows) {
      const z = [a, b, c];
      const lse = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
      const logp = z.map((v) => v - lse);
      expected += 0.9 * -logp[y] + (0.1 * -logp.reduce((s, v) => s + v, 0)) / 3;
    }
    assertClose(loss.item(), expected / 2, 1e-12, 0);
    assertClose(loss.item(), 1.1632935499228478, 1e-12, 0); // what Python printed
  });

  test('kl_div with log_target false and true, gradients for input and target', () => {
    const a = param([3, 5]);
    const b = param([3, 5]);
    gradcheck((x, y) => F.klDiv(x.logSoftmax(1), y.softmax(1), { reduction: 'batchmean' }), [a, b]);
    gradcheck((x, y) => F.klDiv(x.logSoftmax(1), y.logSoftmax(1), { reduction: 'batchmean', logTarget: true }), [a, b]);
    gradcheck((x, y) => F.klDiv(x.logSoftmax(1), y.logSoftmax(1), { reduction: 'none', logTarget: true }), [a, b]);
  });

  test('matmul: matrix, batched with broadcasting, and vector cases', () => {
    gradcheck((x, y) => torch.matmul(x, y), [param([3, 4]), param([4, 2])]);
    gradcheck((x, y) => torch.matmul(x, y), [param([2, 3, 4]), param([4, 5])]);
    gradcheck((x, y) => torch.matmul(x, y), [param([4]), param([2, 4, 3])]);
  });

  test('gather along dims 0 and 1 (repeated indices accumulate)', () => {
    const x = param([3, 4]);
    gradcheck(
      (a) =>
        a.gather(
          1,
          long([
            [0, 0, 3],
            [1, 2, 1],
            [3, 3, 3],
          ]),
        ),
      [x],
    );
    gradcheck(
      (a) =>
        a.gather(
          0,
          long([
            [2, 0, 1, 1],
            [2, 2, 0, 1],
          ]),
        ),
      [x],
    );
  });

  test('embedding, with repeated ids; padding_idx rows get no gradient', () => {
    const weight = param([5, 3]);
    const ids = long([
      [0, 2, 2],
      [4, 1, 2],
    ]);
    gradcheck((w) => F.embedding(ids, w), [weight]);
    const out = F.embedding(ids, weight, 2);
    out.sum().backward();
    assert.deepEqual(weight.grad!.tolist(), [
      [1, 1, 1],
      [1, 1, 1],
      [0, 0, 0],
      [0, 0, 0],
      [1, 1, 1],
    ]);
  });
});

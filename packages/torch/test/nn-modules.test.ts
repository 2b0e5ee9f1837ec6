// torch.nn.Module behaviour: registration, traversal, state dicts, modes, moves,
// containers, layers' shapes and options, init functions, memory.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { assertClose, expectError } from './helpers.js';
import { LSTMModel, ResNet } from './nn-models.js';

const { nn } = torch;
torch.setNumThreads(1);

class Custom extends nn.Module {
  declare w: Tensor;
  declare b: Tensor | null;
  declare steps: Tensor;
  declare scratch: Tensor;
  declare inner: torch.nn.Linear;
  constructor() {
    super();
    this.registerParameter('w', torch.ones([2, 3]));
    this.registerParameter('b', null);
    this.registerBuffer('steps', torch.zeros([1]));
    this.registerBuffer('scratch', torch.zeros([4]), false);
    this.registerModule('inner', new nn.Linear(3, 2));
  }
  forward(x: Tensor): Tensor {
    return this.inner.forward(x).add(x.matmul(this.w.t()));
  }
}

describe('Module registration and traversal', () => {
  test('registered tensors and modules are properties; parameters require grad and survive scopes', () => {
    const m = torch.tidy(() => new Custom());
    assert.ok(!m.w.isDisposed && m.w.requiresGrad && m.w.isLeaf);
    assert.equal(m.b, null);
    assert.ok(!m.steps.requiresGrad);
    assert.ok(m.inner instanceof nn.Linear);
    assert.deepEqual(
      m.namedParameters().map(([n]) => n),
      ['w', 'inner.weight', 'inner.bias'],
    );
    assert.deepEqual(
      m.namedBuffers().map(([n]) => n),
      ['steps', 'scratch'],
    );
    assert.deepEqual(Object.keys(m.stateDict()), ['w', 'steps', 'inner.weight', 'inner.bias'], 'non-persistent buffers stay out');
    assert.deepEqual(
      m.namedParameters('', false).map(([n]) => n),
      ['w'],
    );
    assert.deepEqual(
      m.namedModules().map(([n]) => n),
      ['', 'inner'],
    );
    assert.equal(m.children().length, 1);
    assert.equal(m.numParameters(), 6 + 6 + 2);
    // assigning a registered name replaces the registered tensor
    const w2 = torch.zeros([2, 3]);
    m.w = w2;
    assert.equal(m.parameters()[0], w2);
    assert.ok(w2.requiresGrad);
  });

  test('names must be unique across kinds and free of dots', () => {
    class Bad extends nn.Module {
      constructor(kind: number) {
        super();
        this.registerParameter('x', torch.zeros([1]));
        if (kind === 0) this.registerBuffer('x', torch.zeros([1]));
        else this.registerModule('a.b', new nn.Identity());
      }
      forward() {}
    }
    expectError(() => new Bad(0), /'x' is already registered as a parameter/);
    expectError(() => new Bad(1), /without '\.'/);
  });

  test('shared submodules and parameters are listed once', () => {
    const lin = new nn.Linear(2, 2);
    const seq = new nn.Sequential(lin, new nn.ReLU(), lin);
    assert.deepEqual(
      seq.namedParameters().map(([n]) => n),
      ['0.weight', '0.bias'],
    );
    assert.equal(seq.modules().length, 3);
    assert.deepEqual(
      Object.keys(seq.stateDict()),
      ['0.weight', '0.bias', '2.weight', '2.bias'],
      'the state dict keeps every name, as PyTorch',
    );
  });

  test('apply, train/eval recursively, zeroGrad, requiresGrad_', () =>
    torch.tidy(() => {
      const m = new ResNet();
      let count = 0;
      m.apply(() => {
        count++;
      });
      assert.equal(count, m.modules().length);
      m.eval();
      assert.ok(m.modules().every((x) => !x.training));
      m.train();
      assert.ok(m.modules().every((x) => x.training));
      m.forward(torch.randn([2, 3, 8, 8]))
        .sum()
        .backward();
      assert.ok(m.fc.weight.grad);
      m.zeroGrad(false);
      assert.equal(m.fc.weight.grad!.abs().sum().item(), 0);
      m.zeroGrad();
      assert.equal(m.fc.weight.grad, null);
      m.requiresGrad_(false);
      assert.equal(m.numParameters(true), 0);
    }));

  test('to(dtype) converts floating parameters and buffers, not num_batches_tracked', () =>
    torch.tidy(() => {
      const m = new ResNet().to('float64');
      assert.equal(m.conv1.weight.dtype, 'float64');
      assert.ok(m.conv1.weight.requiresGrad);
      assert.equal(m.bn1.running_mean!.dtype, 'float64');
      assert.equal(m.bn1.num_batches_tracked!.dtype, 'int64');
      assert.equal(m.forward(torch.randn([1, 3, 8, 8], { dtype: 'float64' })).dtype, 'float64');
      m.to('cpu');
      const lin = new nn.Linear(2, 2);
      const shared = new nn.Sequential(lin, lin).to('float64');
      assert.equal(shared.at(0), shared.at(1));
      assert.equal(lin.weight.dtype, 'float64');
    }));

  test('toString prints the tree as PyTorch', () => {
    const s = String(new nn.Sequential(new nn.Linear(4, 2), new nn.ReLU()));
    assert.equal(s, 'Sequential(\n  (0): Linear(in_features=4, out_features=2, bias=True)\n  (1): ReLU()\n)');
  });
});

describe('state dicts', () => {
  test('round trip through torch.save / torch.load gives identical outputs', () =>
    torch.tidy(() => {
      const dir = mkdtempSync(join(tmpdir(), 'nn-sd-'));
      try {
        const a = new ResNet();
        a.train();
        a.forward(torch.randn([4, 3, 8, 8])); // move the running stats
        a.eval();
        const path = join(dir, 'model.pt');
        torch.save(a.stateDict(), path);
        const b = new ResNet();
        b.loadStateDict(torch.load(path) as Record<string, Tensor>);
        b.eval();
        const x = torch.randn([2, 3, 8, 8]);
        assertClose(b.forward(x), a.forward(x), 0, 0, 'outputs');
        assert.equal(b.bn1.num_batches_tracked!.item(), 1);
        const l1 = new LSTMModel(),
          l2 = new LSTMModel();
        l2.loadStateDict(l1.stateDict());
        for (const [k, t] of Object.entries(l2.stateDict())) assertClose(t, l1.stateDict()[k], 0, 0, k);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }));

  test('stateDict tensors are detached; keepVars gives the parameters themselves', () =>
    torch.tidy(() => {
      const m = new nn.Linear(3, 2);
      const sd = m.stateDict();
      assert.ok(!sd.weight.requiresGrad);
      assert.notEqual(sd.weight, m.weight);
      assert.equal(m.stateDict({ keepVars: true }).weight, m.weight);
    }));

  test('loadStateDict copies in place: parameters keep identity (an optimizer holding them sees the new values)', () =>
    torch.tidy(() => {
      const m = new nn.Linear(3, 2);
      const w = m.weight;
      m.loadStateDict({ weight: torch.ones([2, 3]), bias: torch.zeros([2]) });
      assert.equal(m.weight, w);
      assert.equal(w.sum().item(), 6);
      assert.ok(w.requiresGrad && w.isLeaf);
    }));

  test('strict loading lists missing keys, unexpected keys and shape mismatches', () =>
    torch.tidy(() => {
      const m = new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2));
      const sd = m.stateDict();
      delete sd['1.running_var'];
      sd['0.weight'] = torch.zeros([5, 3]);
      sd['extra.weight'] = torch.zeros([1]);
      const msg = expectError(
        () => m.loadStateDict(sd),
        /Error\(s\) in loading state dict for Sequential/,
        /missing keys: "1\.running_var"/,
        /unexpected keys: "extra\.weight"/,
        /0\.weight: shape \[5, 3\] in the state dict, \[2, 3\] in the model/,
      );
      assert.ok(msg.length < 2000);
      // non-strict: keys are reported, but a shape mismatch is still an error (as PyTorch)
      expectError(() => m.loadStateDict(sd, false), /size mismatch/);
      sd['0.weight'] = torch.full([2, 3], 7);
      const r = m.loadStateDict(sd, false);
      assert.deepEqual(r, { missingKeys: ['1.running_var'], unexpectedKeys: ['extra.weight'] });
      assert.equal((m.at(0) as torch.nn.Linear).weight.mean().item(), 7);
    }));

  test('nothing is copied when strict loading fails', () =>
    torch.tidy(() => {
      const m = new nn.Linear(2, 2);
      const before = m.weight.clone();
      expectError(() => m.loadStateDict({ weight: torch.ones([2, 2]) }), /missing keys: "bias"/);
      assertClose(m.weight, before, 0, 0);
    }));

  test('a BatchNorm state dict without num_batches_tracked (old PyTorch) loads', () =>
    torch.tidy(() => {
      const bn = new nn.BatchNorm2d(3);
      const sd = bn.stateDict();
      delete sd.num_batches_tracked;
      assert.deepEqual(bn.loadStateDict(sd), { missingKeys: [], unexpectedKeys: [] });
    }));
});

describe('training and evaluation modes', () => {
  test('Dropout: zeroes about p and scales by 1/(1-p) in training; identity in eval', () =>
    torch.tidy(() => {
      const d = new nn.Dropout(0.25);
      const x = torch.ones([20000]);
      const y = d.forward(x);
      const zeros = y.eq(0).sum().item() / 20000;
      assert.ok(Math.abs(zeros - 0.25) < 0.02, `dropped ${zeros}`);
      assertClose(y.max(), 1 / 0.75, 1e-6);
      d.eval();
      assertClose(d.forward(x), x, 0, 0);
    }));

  test('BatchNorm: batch statistics and running-stat updates in training; running statistics in eval', () =>
    torch.tidy(() => {
      const bn = new nn.BatchNorm1d(2, { affine: false });
      const x = torch.tensor([
        [1, 10],
        [3, 30],
      ]);
      assertClose(bn.forward(x), [-1, -1, 1, 1], 1e-4);
      assertClose(bn.running_mean!, [0.2, 2.0], 1e-6);
      assertClose(bn.running_var!, [0.9 + 0.1 * 2, 0.9 + 0.1 * 200], 1e-5); // unbiased variance
      bn.eval();
      const before = bn.running_mean!.clone();
      const y = bn.forward(x);
      assertClose(y, x.sub(bn.running_mean!).div(bn.running_var!.add(1e-5).sqrt()), 1e-5);
      assertClose(bn.running_mean!, before, 0, 0, 'eval does not update running stats');
      const noStats = new nn.BatchNorm2d(2, { trackRunningStats: false });
      assert.deepEqual(Object.keys(noStats.stateDict()), ['weight', 'bias']);
      noStats.eval();
      assertClose(noStats.forward(torch.ones([2, 2, 1, 1])), torch.zeros([2, 2, 1, 1]), 1e-6, 0, 'batch stats even in eval');
      expectError(() => bn.forward(torch.ones([1, 2, 3, 4])), /expected 2D or 3D input \(got 4D input\)/);
    }));

  test('LSTM: dropout between layers only in training', () =>
    torch.tidy(() => {
      const lstm = new nn.LSTM(4, 8, { numLayers: 2, dropout: 0.5 });
      const x = torch.randn([5, 3, 4]);
      lstm.eval();
      const [a] = lstm.forward(x);
      const [b] = lstm.forward(x);
      assertClose(a, b, 0, 0, 'eval is deterministic');
      lstm.train();
      const [c] = lstm.forward(x);
      assert.ok(c.sub(a).abs().max().item() > 1e-4, 'training applies dropout');
    }));
});

describe('layers', () => {
  test('Linear, Conv2d options, Embedding padding, LayerNorm shapes', () =>
    torch.tidy(() => {
      assert.deepEqual(new nn.Linear(4, 3).forward(torch.randn([2, 5, 4])).shape, [2, 5, 3]);
      assert.equal(new nn.Linear(4, 3, false).bias, null);
      const conv = new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, dilation: 1, groups: 2, bias: false });
      assert.deepEqual(conv.weight.shape, [6, 2, 3, 3]);
      assert.deepEqual(conv.forward(torch.randn([1, 4, 9, 9])).shape, [1, 6, 5, 5]);
      assert.deepEqual(new nn.Conv2d(2, 2, [3, 5], { padding: 'same' }).forward(torch.randn([1, 2, 7, 7])).shape, [1, 2, 7, 7]);
      assert.deepEqual(
        new nn.Conv2d(2, 2, 3, { padding: 1, paddingMode: 'reflect' }).forward(torch.randn([1, 2, 7, 7])).shape,
        [1, 2, 7, 7],
      );
      expectError(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), /divisible by groups/);
      const emb = new nn.Embedding(10, 4, { paddingIdx: -1 });
      assert.equal(emb.paddingIdx, 9);
      assert.equal(emb.weight.select(0, 9).abs().sum().item(), 0);
      const out = emb.forward(torch.tensor([[9, 1]], { dtype: 'int64' }));
      out.sum().backward();
      assert.equal(emb.weight.grad!.select(0, 9).abs().sum().item(), 0, 'no gradient for the padding row');
      const ln = new nn.LayerNorm([3, 4]);
      const y = ln.forward(torch.randn([2, 3, 4]).mul(5).add(3));
      assertClose(y.mean([1, 2]), [0, 0], 1e-5);
      assert.equal(new nn.LayerNorm(4, { elementwiseAffine: false }).numParameters(), 0);
    }));

  test('LSTM: batchFirst, given (h0, c0), unbatched input, bidirectional shapes and names', () =>
    torch.tidy(() => {
      const lstm = new nn.LSTM(3, 5, { numLayers: 2, batchFirst: true, bidirectional: true });
      assert.deepEqual(Object.keys(lstm.stateDict()).slice(0, 8), [
        'weight_ih_l0',
        'weight_hh_l0',
        'bias_ih_l0',
        'bias_hh_l0',
        'weight_ih_l0_reverse',
        'weight_hh_l0_reverse',
        'bias_ih_l0_reverse',
        'bias_hh_l0_reverse',
      ]);
      assert.deepEqual(lstm.stateDict().weight_ih_l1.shape, [20, 10]);
      const h0 = torch.randn([4, 2, 5]),
        c0 = torch.randn([4, 2, 5]);
      const [out, [h, c]] = lstm.forward(torch.randn([2, 7, 3]), [h0, c0]);
      assert.deepEqual(out.shape, [2, 7, 10]);
      assert.deepEqual(h.shape, [4, 2, 5]);
      assert.deepEqual(c.shape, [4, 2, 5]);
      const [uo, [uh]] = lstm.forward(torch.randn([7, 3]));
      assert.deepEqual(uo.shape, [7, 10]);
      assert.deepEqual(uh.shape, [4, 5]);
      expectError(() => lstm.forward(torch.randn([2, 7, 3]), [torch.zeros([1, 2, 5]), c0]), /expected h0 of shape \[4, 2, 5\]/);
      // The last step of the forward direction's output is its final h.
      const single = new nn.LSTM(3, 5);
      const [o1, [h1]] = single.forward(torch.randn([6, 2, 3]));
      assertClose(o1.select(0, 5), h1.select(0, 0), 1e-6);
      // gradients reach every parameter
      o1.sum().backward();
      assert.ok(single.parameters().every((p) => p.grad !== null));
    }));

  test('MultiheadAttention: batchFirst equals sequence-first; causal = explicit causal mask', () =>
    torch.tidy(() => {
      torch.manualSeed(7);
      const seqFirst = new nn.MultiheadAttention(8, 2);
      const batchFirst = new nn.MultiheadAttention(8, 2, { batchFirst: true });
      batchFirst.loadStateDict(seqFirst.stateDict());
      const x = torch.randn([5, 3, 8]);
      const [a] = seqFirst.forward(x, x, x);
      const xb = x.transpose(0, 1).contiguous();
      const [b] = batchFirst.forward(xb, xb, xb);
      assertClose(b.transpose(0, 1), a, 1e-5);
      const mask = torch.ops.aten.triu.default(torch.ones([5, 5], { dtype: 'bool' }), 1) as Tensor;
      const [m1, w1] = seqFirst.forward(x, x, x, { attnMask: mask });
      const [m2] = seqFirst.forward(x, x, x, { isCausal: true, needWeights: false });
      const [m3, w3] = seqFirst.forward(x, x, x, { isCausal: true });
      assertClose(m2, m1, 1e-5);
      assertClose(m3, m1, 1e-5);
      assertClose(w3!, w1!, 1e-6);
      assert.equal(w1!.select(1, 0).select(1, 1).abs().sum().item(), 0, 'no weight on future keys');
      expectError(() => new nn.MultiheadAttention(10, 3), /divisible by numHeads/);
    }));

  test('TransformerEncoderLayer: dropout only in training, gradients flow, layers are copies', () =>
    torch.tidy(() => {
      const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.5 });
      const enc = new nn.TransformerEncoder(layer, 3);
      const sd = enc.stateDict();
      assertClose(sd['layers.1.linear1.weight'], sd['layers.0.linear1.weight'], 0, 0, 'copies start equal');
      assert.notEqual(enc.layers.at(0), enc.layers.at(1));
      const x = torch.randn([4, 2, 8]);
      enc.eval();
      assertClose(enc.forward(x), enc.forward(x), 0, 0);
      enc.train();
      const y = enc.forward(x);
      assert.ok(y.sub(enc.forward(x)).abs().max().item() > 1e-4);
      y.pow(2).mean().backward();
      assert.ok(enc.parameters().every((p) => p.grad !== null));
      const gelu = new nn.TransformerEncoderLayer(8, 2, { activation: 'gelu', normFirst: true, batchFirst: true });
      assert.deepEqual(gelu.forward(torch.randn([2, 4, 8])).shape, [2, 4, 8]);
      assert.deepEqual(
        new nn.TransformerEncoderLayer(8, 2, { activation: new nn.GELU() })
          .namedChildren()
          .map(([n]) => n)
          .at(-1),
        'activation',
      );
    }));

  test('activations and losses as modules match the functional ops', () =>
    torch.tidy(() => {
      const x = torch.randn([3, 4]);
      const F = nn.functional;
      assertClose(new nn.ReLU().forward(x), F.relu(x), 0, 0);
      assertClose(new nn.GELU('tanh').forward(x), F.gelu(x, 'tanh'), 0, 0);
      assertClose(new nn.Tanh().forward(x), x.tanh(), 0, 0);
      assertClose(new nn.Sigmoid().forward(x), x.sigmoid(), 0, 0);
      assertClose(new nn.SiLU().forward(x), x.mul(x.sigmoid()), 1e-6);
      assertClose(new nn.LeakyReLU(0.2).forward(x), torch.where(x.gt(0), x, x.mul(0.2)), 1e-7);
      assertClose(new nn.Softmax(1).forward(x).sum(1), [1, 1, 1], 1e-6);
      assertClose(new nn.LogSoftmax(-1).forward(x).exp().sum(1), [1, 1, 1], 1e-6);
      const t = torch.tensor([0, 3, 1], { dtype: 'int64' });
      assertClose(new nn.CrossEntropyLoss().forward(x, t), F.crossEntropy(x, t), 0, 0);
      assertClose(new nn.MSELoss('sum').forward(x, x.mul(2)), x.pow(2).sum(), 1e-5);
      assert.deepEqual(new nn.Flatten().forward(torch.zeros([2, 3, 4])).shape, [2, 12]);
      assertClose(new nn.Identity().forward(x), x, 0, 0);
    }));
});

describe('containers', () => {
  test('Sequential: order, indexing, named entries, append', () =>
    torch.tidy(() => {
      const s = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
      s.append(new nn.Linear(3, 1));
      assert.equal(s.length, 3);
      assert.ok(s.at(-1) instanceof nn.Linear);
      assert.deepEqual(s.forward(torch.zeros([5, 2])).shape, [5, 1]);
      const named = new nn.Sequential({ fc: new nn.Linear(2, 2), act: new nn.Tanh() });
      assert.deepEqual(Object.keys(named.stateDict()), ['fc.weight', 'fc.bias']);
      assert.equal([...named].length, 2);
    }));
  test('ModuleList and ModuleDict register their modules with PyTorch names', () =>
    torch.tidy(() => {
      class Net extends nn.Module {
        declare blocks: torch.nn.ModuleList;
        declare heads: torch.nn.ModuleDict;
        constructor() {
          super();
          this.registerModule('blocks', new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 2)]));
          this.registerModule('heads', new nn.ModuleDict({ policy: new nn.Linear(2, 4), value: new nn.Linear(2, 1) }));
        }
        forward(x: Tensor): Tensor[] {
          for (const b of this.blocks) x = b.forward(x);
          return [...this.heads.values()].map((h) => h.forward(x));
        }
      }
      const n = new Net();
      assert.deepEqual(
        n.namedParameters().map(([k]) => k),
        [
          'blocks.0.weight',
          'blocks.0.bias',
          'blocks.1.weight',
          'blocks.1.bias',
          'heads.policy.weight',
          'heads.policy.bias',
          'heads.value.weight',
          'heads.value.bias',
        ],
      );
      assert.deepEqual(
        n.forward(torch.zeros([3, 2])).map((t) => t.shape),
        [
          [3, 4],
          [3, 1],
        ],
      );
      assert.ok(n.heads.get('value') instanceof nn.Linear);
      expectError(() => n.blocks.forward(), /no forward/);
    }));
});

describe('init', () => {
  test('calculateGain as PyTorch', () => {
    assert.equal(nn.init.calculateGain('linear'), 1);
    assert.equal(nn.init.calculateGain('relu'), Math.SQRT2);
    assert.equal(nn.init.calculateGain('tanh'), 5 / 3);
    assert.equal(nn.init.calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04));
    assert.equal(nn.init.calculateGain('selu'), 0.75);
  });
  test('kaiming, xavier, orthogonal, constant statistics', () =>
    torch.tidy(() => {
      const w = torch.empty([400, 300]);
      nn.init.kaimingNormal_(w, { mode: 'fanIn', nonlinearity: 'relu' });
      assertClose(w.std(), Math.sqrt(2 / 300), 0, 0.03, 'kaiming normal std');
      nn.init.kaimingUniform_(w, { a: Math.sqrt(5) });
      assert.ok(w.abs().max().item() <= 1 / Math.sqrt(300) + 1e-7);
      nn.init.kaimingNormal_(w, { mode: 'fanOut' });
      assertClose(w.std(), Math.sqrt(2 / (1 + 0.0001)) / Math.sqrt(400), 0, 0.03, 'fan out');
      nn.init.xavierUniform_(w, 2);
      const bound = 2 * Math.sqrt(6 / 700);
      assert.ok(w.abs().max().item() <= bound + 1e-6 && w.abs().max().item() > 0.95 * bound);
      nn.init.xavierNormal_(w);
      assertClose(w.std(), Math.sqrt(2 / 700), 0, 0.03, 'xavier normal');
      for (const shape of [
        [6, 4],
        [4, 6],
        [3, 2, 2],
      ]) {
        const q = torch.empty(shape);
        nn.init.orthogonal_(q, 1.5);
        const m = q.reshape(shape[0], -1);
        const small = m.shape[0] <= m.shape[1] ? m.matmul(m.t()) : m.t().matmul(m);
        assertClose(small, torch.eye(small.shape[0]).mul(2.25), 1e-5, 0, `orthogonal ${shape}`);
      }
      nn.init.constant_(w, 3);
      assert.equal(w.mean().item(), 3);
      nn.init.zeros_(w);
      assert.equal(w.abs().sum().item(), 0);
      nn.init.ones_(w);
      nn.init.uniform_(w, -2, -1);
      assert.ok(w.max().item() <= -1 && w.min().item() >= -2);
      nn.init.normal_(w, 5, 0.1);
      assertClose(w.mean(), 5, 0.01);
      nn.init.truncNormal_(w, 0, 1, -0.5, 0.5);
      assert.ok(w.abs().max().item() <= 0.5);
      expectError(() => nn.init.xavierUniform_(torch.empty([3])), /fewer than 2 dimensions/);
    }));
  test('init functions do not record gradients on parameters', () =>
    torch.tidy(() => {
      const lin = new nn.Linear(3, 3);
      nn.init.orthogonal_(lin.weight);
      assert.ok(lin.weight.isLeaf && lin.weight.gradFn === null);
    }));
});

describe('memory', () => {
  test('dispose() frees parameters, gradients and buffers', () => {
    const before = torch.memoryStats().liveTensors;
    {
      using m = new ResNet();
      torch.tidy(() =>
        m
          .forward(torch.randn([2, 3, 8, 8]))
          .sum()
          .backward(),
      );
    }
    // Nothing is left behind; the count can only drop (the collector may free earlier tests' leftovers meanwhile).
    assert.ok(torch.memoryStats().liveTensors <= before, `${torch.memoryStats().liveTensors} live tensors after, ${before} before`);
  });
  test('forward and backward inside tidy leave no tensors behind', () => {
    const models: [torch.nn.Module, () => Tensor][] = [
      [new ResNet(), () => torch.randn([2, 3, 8, 8])],
      [new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), 2), () => torch.randn([4, 2, 8])],
      [new nn.LSTM(4, 6, { numLayers: 2 }), () => torch.randn([5, 2, 4])],
    ];
    for (const [m, input] of models) {
      const step = () =>
        torch.tidy(() => {
          m.zeroGrad();
          let out = m.forward(input());
          if (Array.isArray(out)) out = out[0];
          (out as Tensor).pow(2).mean().backward();
        });
      step();
      const before = torch.memoryStats().liveTensors;
      for (let i = 0; i < 5; ++i) step();
      assert.equal(torch.memoryStats().liveTensors, before, `${m.constructor.name} leaks`);
    }
  });
});

// Transformer-XL (src/tasks/lm/transformer-xl.ts): the relative shift against explicit indexing,
// causality, the memory against one pass over both segments, the ORIGINAL MemTransformerLM's
// outputs from our weights (fixtures/transformer-xl, made by make_fixture.py), gradients of the
// attention block against finite differences, the initialization and the PTB parameter count.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  causalMask,
  relPartialLearnableAttention,
  relShift,
  TRANSFORMER_XL_PTB,
  TransformerXL,
  type TransformerXLOptions,
} from '../src/tasks/lm/transformer-xl.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/transformer-xl/fixture.pt', import.meta.url));

const TINY: TransformerXLOptions = {
  nToken: 50,
  nLayer: 2,
  dModel: 16,
  nHead: 2,
  dHead: 8,
  dInner: 32,
  dropout: 0,
  dropAtt: 0,
  tgtLen: 5,
  memLen: 5,
};

let threads = 0;
before(() => {
  threads = torch.getNumThreads();
  torch.setNumThreads(1);
});
after(() => torch.setNumThreads(threads));

const values = (t: Tensor): number[] => Array.from(t.detach().contiguous().data() as ArrayLike<number>, Number);

function maxAbsDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  const x = values(a);
  const y = values(b);
  let m = 0;
  for (let i = 0; i < x.length; ++i) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

function assertClose(a: Tensor, b: Tensor, atol: number, what: string): number {
  const d = maxAbsDiff(a, b);
  assert.ok(d <= atol, `${what}: max |difference| ${d} > ${atol}`);
  return d;
}

/** A tiny float64 model, seeded, with weights larger than the init's (attention far from uniform). */
function tinyModel(o: Partial<TransformerXLOptions> = {}, seed = 7): TransformerXL {
  torch.manualSeed(seed);
  const m = new TransformerXL({ ...TINY, ...o }).double();
  torch.noGrad(() => {
    for (const [name, p] of m.namedParameters()) {
      if (/layer_norm\.weight$/.test(name)) p.normal_(1, 0.3);
      else p.normal_(0, 0.3);
    }
  });
  return m;
}

/**
 * Central finite differences against autograd for every element of every input that requires
 * grad (float64), with the output reduced by a fixed random projection (as the engine's
 * gradcheck test helper in packages/torch/test/helpers.ts, which is not exported to this package).
 */
function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], eps = 1e-6, atol = 1e-5, rtol = 1e-3): number {
  return torch.tidy(() => {
    const probe = torch.noGrad(() => fn(...inputs));
    const w = torch.randn(probe.shape, { dtype: 'float64' });
    const scalar = (out: Tensor) => out.mul(w).sum();
    const wrt = inputs.filter((t) => t.requiresGrad);
    const analytical = torch.grad(scalar(fn(...inputs)), wrt, { allowUnused: true });
    let worst = 0;
    let k = 0;
    for (let i = 0; i < inputs.length; ++i) {
      if (!inputs[i]!.requiresGrad) continue;
      const g = analytical[k++];
      const expected = g ? values(g) : new Array<number>(inputs[i]!.numel()).fill(0);
      const base = Float64Array.from(values(inputs[i]!));
      const shape = inputs[i]!.shape;
      const at = (vals: Float64Array) =>
        torch.tidy(() =>
          torch.noGrad(() => scalar(fn(...inputs.map((t, j) => (j === i ? torch.tensor(vals, { shape }) : t.detach())))).item()),
        );
      for (let e = 0; e < base.length; ++e) {
        const plus = Float64Array.from(base);
        const minus = Float64Array.from(base);
        plus[e]! += eps;
        minus[e]! -= eps;
        const numerical = (at(plus) - at(minus)) / (2 * eps);
        const err = Math.abs(numerical - expected[e]!);
        worst = Math.max(worst, err);
        if (!(err <= atol + rtol * Math.abs(numerical)))
          assert.fail(`gradcheck: input ${i} element ${e}: numerical ${numerical} vs analytical ${expected[e]}`);
      }
    }
    return worst;
  });
}

describe('relative shift', () => {
  for (const [q, k] of [
    [4, 7],
    [5, 5],
    [1, 3],
    [3, 4],
  ] as const) {
    test(`[2, 3, ${q}, ${k}] against explicit indexing`, () => {
      torch.tidy(() => {
        const x = torch.randn([2, 3, q, k], { dtype: 'float64' });
        const y = relShift(x);
        assert.deepEqual(y.shape, [2, 3, q, k]);
        const xs = values(x);
        const ys = values(y);
        const m = k - q; // memory length
        for (let b = 0; b < 6; ++b) {
          const X = (i: number, j: number) => xs[b * q * k + i * k + j]!;
          for (let i = 0; i < q; ++i) {
            for (let j = 0; j < k; ++j) {
              const got = ys[b * q * k + i * k + j]!;
              // The reference's layout: [0 | x] as [q, k+1], read flat from offset q.
              const f = q + i * k + j;
              const row = Math.floor(f / (k + 1));
              const col = f % (k + 1);
              assert.equal(got, col === 0 ? 0 : X(row, col - 1), `raw layout at ${b},${i},${j}`);
              // Where key j is visible to query i: the score for distance m + i - j, which sits at
              // column klen - 1 - distance = j + q - 1 - i of the unshifted scores.
              if (j <= i + m) assert.equal(got, X(i, j + q - 1 - i), `shifted score at ${b},${i},${j}`);
            }
          }
        }
      });
    });
  }
  test('the causal mask lets every query see the whole memory and itself', () => {
    const mask = causalMask(3, 2);
    assert.deepEqual(
      (mask.tolist() as boolean[][]).map((r) => r.map(Number)),
      [
        [0, 0, 0, 1, 1],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0],
      ],
    );
    mask.dispose();
  });
});

describe('TransformerXL', () => {
  test('names, shapes and tying follow MemTransformerLM', () => {
    torch.manualSeed(0);
    const m = new TransformerXL(TINY);
    const sd = m.stateDict();
    const keys = Object.keys(sd);
    assert.deepEqual(keys.slice(0, 3), ['r_w_bias', 'r_r_bias', 'word_emb.emb_layers.0.weight']);
    assert.deepEqual(keys.slice(-3), ['crit.out_layers.0.weight', 'crit.out_layers.0.bias', 'pos_emb.inv_freq']);
    assert.ok(keys.includes('layers.1.dec_attn.qkv_net.weight') && keys.includes('layers.1.pos_ff.CoreNet.3.bias'));
    assert.deepEqual(sd['layers.0.dec_attn.qkv_net.weight']!.shape, [48, 16]);
    assert.deepEqual(sd['layers.0.dec_attn.r_net.weight']!.shape, [16, 16]);
    assert.equal(m.crit.out_layers.at(0) instanceof torch.nn.Module, true);
    assert.equal((m.crit.out_layers.at(0) as unknown as { weight: Tensor }).weight, m.word_emb.weight, 'output weight is the embedding');
    assert.equal(m.parameters().length, keys.length - 2, 'the tied weight counted once, the buffer not at all');
    m.dispose();
  });

  test('initialization: N(0, 0.02) weights, zero biases, LayerNorm weights N(1, 0.02)', () => {
    torch.manualSeed(1);
    const m = new TransformerXL({ nToken: 2000, nLayer: 1, dModel: 64, nHead: 4, dHead: 16, dInner: 256 });
    const stats = (t: Tensor) => {
      const v = values(t);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      return { mean, sd };
    };
    for (const [name, p] of m.namedParameters()) {
      const { mean, sd } = stats(p);
      if (name.endsWith('.bias')) assert.ok(mean === 0 && sd === 0, `${name} should be zero`);
      else if (name.endsWith('layer_norm.weight'))
        assert.ok(Math.abs(mean - 1) < 0.02 && Math.abs(sd - 0.02) < 0.01, `${name}: ${mean}, ${sd}`);
      else assert.ok(Math.abs(mean) < 0.01 && Math.abs(sd - 0.02) < 0.004, `${name}: ${mean}, ${sd}`);
    }
    m.dispose();
  });

  test('causality: a later token leaves earlier logits unchanged (eval mode, with and without memory)', () => {
    const m = tinyModel({ dropout: 0.25, dropAtt: 0.1 }).eval();
    torch.tidy(() => {
      const batch = 2;
      const x = torch.randint(0, 50, [6, batch]);
      const prev = m.forward(torch.randint(0, 50, [4, batch]), null).mems;
      for (const mems of [null, prev]) {
        const a = m.forward(x, mems).logits;
        for (const t of [0, 3, 5]) {
          const y = x.clone();
          torch.noGrad(() =>
            y
              .select(0, t)
              .select(0, 1)
              .fill_((values(x.select(0, t).select(0, 1))[0]! + 1) % 50),
          );
          const b = m.forward(y, mems).logits;
          if (t > 0) assertClose(a.narrow(0, 0, t * batch), b.narrow(0, 0, t * batch), 1e-12, `rows before t = ${t}`);
          assert.ok(maxAbsDiff(a.narrow(0, t * batch + 1, 1), b.narrow(0, t * batch + 1, 1)) > 1e-6, 'the changed position changes');
          // Batch columns do not see each other.
          assertClose(a.view(6, batch, 50).select(1, 0), b.view(6, batch, 50).select(1, 0), 1e-12, 'other column');
        }
      }
    });
    m.dispose();
  });

  test('memory: two segments with memory equal one pass over both (float64, memory covers the first)', () => {
    const m = tinyModel({ memLen: 6, dropout: 0.25 }).eval();
    torch.tidy(() => {
      const batch = 3;
      const a = torch.randint(0, 50, [4, batch]);
      const b = torch.randint(0, 50, [5, batch]);
      const first = m.forward(a, null);
      assert.equal(first.mems.length, 3);
      for (const t of first.mems) {
        assert.deepEqual(t.shape, [4, batch, 16]);
        assert.equal(t.requiresGrad, false);
      }
      const second = m.forward(b, first.mems);
      const whole = m.forward(torch.cat([a, b], 0), null);
      const d1 = assertClose(second.logits, whole.logits.narrow(0, 4 * batch, 5 * batch), 1e-10, 'second segment logits');
      const d0 = assertClose(first.logits, whole.logits.narrow(0, 0, 4 * batch), 1e-10, 'first segment logits');
      for (let i = 0; i < 3; ++i) {
        assert.deepEqual(second.mems[i]!.shape, [6, batch, 16]);
        assertClose(second.mems[i]!, whole.mems[i]!, 1e-10, `memory ${i}`);
      }
      // initMems() and [] are a fresh start too.
      assertClose(m.forward(a, m.initMems(batch)).logits, first.logits, 0, 'initMems');
      assertClose(m.forward(a, []).logits, first.logits, 0, '[]');
      assert.ok(Math.max(d0, d1) < 1e-10);
    });
    m.dispose();
  });

  test('memory shorter than the first segment: only its last mem_len states are kept', () => {
    const m = tinyModel({ memLen: 3 }).eval();
    torch.tidy(() => {
      const x = torch.randint(0, 50, [5, 2]);
      const { mems } = m.forward(x, null);
      for (const t of mems) assert.deepEqual(t.shape, [3, 2, 16]);
      // Stream 0 is the (dropped-out) embedding: its memory is that of the last 3 tokens alone.
      assertClose(mems[0]!, m.forward(x.narrow(0, 2, 3), null).mems[0]!, 0, 'layer-0 memory is the embedding of the last tokens');
      const next = m.forward(torch.randint(0, 50, [2, 2]), mems);
      for (const t of next.mems) assert.deepEqual(t.shape, [3, 2, 16]);
      assertClose(next.mems[1]!.narrow(0, 0, 1), mems[1]!.narrow(0, 2, 1), 0, 'memory rolls over');
    });
    m.dispose();
  });

  test('matches the ORIGINAL MemTransformerLM from our weights (fixture, 3 segments with memory)', (t) => {
    const fx = torch.load(FIXTURE) as unknown as {
      commit: string;
      config: TransformerXLOptions;
      state_dict: Record<string, Tensor>;
      inputs: Tensor[];
      logits: Tensor[];
      mems: Tensor[][];
    };
    assert.equal(fx.commit, 'a865b5c29f553088354afe1631574262e4e70e73');
    const m = new TransformerXL(fx.config).double().eval();
    assert.deepEqual(Object.keys(m.stateDict()), Object.keys(fx.state_dict), "our names (and order) are MemTransformerLM's");
    m.loadStateDict(fx.state_dict);
    let worst = 0;
    torch.tidy(() => {
      let mems: Tensor[] | null = null;
      fx.inputs.forEach((x, s) => {
        const out = m.forward(x, mems);
        worst = Math.max(worst, assertClose(out.logits, fx.logits[s]!, 1e-5, `segment ${s} logits`));
        assert.equal(out.mems.length, fx.mems[s]!.length);
        out.mems.forEach((t, i) => {
          worst = Math.max(worst, assertClose(t, fx.mems[s]![i]!, 1e-5, `segment ${s} memory ${i}`));
        });
        mems = out.mems;
      });
    });
    // The reference rounds attention scores to float32 before masking, hence not 1e-12.
    assert.ok(worst < 1e-5, `max difference ${worst}`);
    t.diagnostic(`max |ours - MemTransformerLM| over logits and memories: ${worst.toExponential(2)}`);
    m.dispose();
    torch.dispose(fx);
  });

  test('gradients of the attention block against finite differences (float64, with memory and mask)', (t) => {
    torch.manualSeed(3);
    const H = 2;
    const D = 3;
    const d = 4;
    const q = 3;
    const mlen = 2;
    const p = (shape: number[], scale = 0.5, mean = 0) => torch.randn(shape, { dtype: 'float64' }).mul(scale).add(mean).requiresGrad_();
    const inputs = [
      p([q, 2, d]), // h
      p([mlen, 2, d]), // mem
      p([q + mlen, d]), // positions
      p([H, D]), // u
      p([H, D]), // v
      p([3 * H * D, d]), // qkv
      p([H * D, d]), // r
      p([d, H * D]), // o
      p([d], 0.3, 1), // LayerNorm weight
      p([d], 0.3), // LayerNorm bias
    ];
    const mask = causalMask(q, mlen);
    const worst = gradcheck(
      (h, mem, pos, u, v, qkv, r, o, lnw, lnb) =>
        relPartialLearnableAttention({
          h: h!,
          mem: mem!,
          pos: pos!,
          rwBias: u!,
          rrBias: v!,
          mask,
          weights: { qkv: qkv!, r: r!, o: o!, lnWeight: lnw!, lnBias: lnb! },
          nHead: H,
          dHead: D,
          dropout: 0,
          dropAtt: 0,
          training: true,
        }),
      inputs,
    );
    assert.ok(worst < 1e-6, `worst |numerical - analytical| ${worst}`);
    t.diagnostic(`${inputs.reduce((n, x) => n + x.numel(), 0)} elements checked, worst |numerical - analytical| ${worst.toExponential(2)}`);
    torch.dispose([inputs, mask]);
  });

  test('training mode: dropout on, loss backward reaches every parameter, memories detached', () => {
    const m = tinyModel({ dropout: 0.25, dropAtt: 0.1 });
    m.float().train();
    torch.tidy(() => {
      const x = torch.randint(0, 50, [5, 2]);
      const first = m.forward(x, null);
      const out = m.forward(x, first.mems);
      const loss = torch.nn.functional.crossEntropy(out.logits, torch.randint(0, 50, [10]));
      loss.backward();
      for (const [name, p] of m.namedParameters()) {
        assert.ok(p.grad, `${name} has a gradient`);
        assert.ok(values(p.grad!).every(Number.isFinite), `${name} gradient finite`);
      }
      for (const t of out.mems) assert.equal(t.requiresGrad, false);
      // Dropout changes the output in training mode, not in eval mode.
      const again = m.forward(x, null).logits;
      assert.ok(maxAbsDiff(again, first.logits) > 0);
      m.eval();
      assertClose(m.forward(x, null).logits, m.forward(x, null).logits, 0, 'eval is deterministic');
    });
    m.zeroGrad();
    m.dispose();
  });

  test("parameter count of the PTB configuration (vocab 10,000) is the original's: 4,258,320", () => {
    const m = new TransformerXL({ nToken: 10000, ...TRANSFORMER_XL_PTB });
    const { dModel: d, nHead: H, dHead: D, dInner: f, nLayer: L } = TRANSFORMER_XL_PTB;
    const perLayer = 3 * H * D * d + H * D * d + d * H * D + 2 * d + (d * f + f + f * d + d) + 2 * d;
    const expected = 10000 * d + 10000 + 2 * H * D + L * perLayer;
    assert.equal(expected, 4_258_320);
    assert.equal(m.numParameters(), expected);
    const fx = torch.load(FIXTURE) as unknown as { ptb_param_count: number };
    assert.equal(m.numParameters(), fx.ptb_param_count, 'MemTransformerLM counts the same');
    torch.dispose(fx);
    m.dispose();
  });

  test('rejects bad input', () => {
    const m = new TransformerXL(TINY);
    assert.throws(() => m.forward(torch.zeros([3, 2])), /int64/);
    assert.throws(() => m.forward(torch.zeros([3], { dtype: 'int64' })), /\[len, batch\]/);
    assert.throws(() => m.forward(torch.zeros([3, 2], { dtype: 'int64' }), [torch.zeros([2, 2, 16])]), /expected 3 memories/);
    assert.throws(() => new TransformerXL({ ...TINY, dModel: 15 }), /even/);
    m.dispose();
  });
});

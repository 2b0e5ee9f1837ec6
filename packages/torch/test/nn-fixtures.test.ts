// torch.nn against PyTorch: names, seeded default initialization, and outputs of
// state dicts made by Python torch (fixtures/nn/make_nn_fixtures.py).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { assertClose, fixturesDir } from './helpers.js';
import { LSTMModel, ResNet, encoder } from './nn-models.js';

const { nn } = torch;
const dir = join(fixturesDir, 'nn');
type Rec = Record<string, any>;
const load = (name: string): Rec => torch.load(join(dir, `${name}.pt`)) as Rec;
const names = JSON.parse(readFileSync(join(dir, 'names.json'), 'utf8'));
torch.setNumThreads(1);

function assertStateClose(actual: Record<string, Tensor>, expected: Record<string, Tensor>, atol = 1e-6, what = ''): void {
  assert.deepEqual(Object.keys(actual), Object.keys(expected), `${what}: keys`);
  for (const k of Object.keys(expected)) {
    assert.equal(actual[k].dtype, expected[k].dtype, `${what} ${k}: dtype`);
    assert.deepEqual(actual[k].shape, expected[k].shape, `${what} ${k}: shape`);
    assertClose(actual[k], expected[k], atol, 1e-5, `${what} ${k}`);
  }
}

function assertNames(model: torch.nn.Module, expected: Rec): void {
  assert.deepEqual(Object.keys(model.stateDict()), expected.state_dict);
  assert.deepEqual(
    model.namedParameters().map(([n]) => n),
    expected.named_parameters,
  );
  assert.deepEqual(
    model.namedBuffers().map(([n]) => n),
    expected.named_buffers,
  );
  assert.deepEqual(
    model.namedModules().map(([n]) => n),
    expected.named_modules,
  );
  assert.equal(model.numParameters(), expected.num_parameters);
}

describe('nn against PyTorch fixtures', () => {
  test('ResNet-style model: names as PyTorch', () => torch.tidy(() => assertNames(new ResNet(), names.resnet)));
  test('LSTM model: names as PyTorch', () => torch.tidy(() => assertNames(new LSTMModel(), names.lstm)));
  test('Transformer encoder: names as PyTorch', () => torch.tidy(() => assertNames(encoder(false, 'relu'), names.transformer)));

  test('seeded construction initializes as PyTorch (Conv2d kaiming_normal_, BatchNorm, Linear)', () =>
    torch.tidy(() => {
      const f = load('resnet');
      torch.manualSeed(1);
      assertStateClose(new ResNet().stateDict(), f.init, 1e-6, 'resnet init');
    }));
  test('seeded construction initializes as PyTorch (Embedding with padding, LSTM, Linear)', () =>
    torch.tidy(() => {
      const f = load('lstm');
      torch.manualSeed(2);
      assertStateClose(new LSTMModel().stateDict(), f.init, 1e-6, 'lstm init');
    }));
  test('seeded construction initializes as PyTorch (TransformerEncoder copies, MultiheadAttention xavier)', () =>
    torch.tidy(() => {
      const f = load('transformer');
      torch.manualSeed(3);
      assertStateClose(encoder(false, 'relu').stateDict(), f.post_init, 1e-6, 'post init');
      assertStateClose(encoder(true, 'gelu').stateDict(), f.pre_init, 1e-6, 'pre init');
      const m = load('mha');
      torch.manualSeed(4);
      assertStateClose(new nn.MultiheadAttention(12, 3).stateDict(), m.init, 1e-6, 'mha init');
    }));

  test('ResNet-style: a PyTorch state dict loads and gives PyTorch outputs (eval and train) and running stats', () =>
    torch.tidy(() => {
      const f = load('resnet');
      const model = new ResNet();
      const weight = model.conv1.weight;
      const result = model.loadStateDict(f.state);
      assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
      assert.equal(model.conv1.weight, weight, 'parameters keep their identity');
      assert.equal(model.bn1.num_batches_tracked!.dtype, 'int64');
      assert.equal(model.bn1.num_batches_tracked!.item(), 3);
      model.eval();
      torch.noGrad(() => assertClose(model.forward(f.input), f.output_eval, 1e-5, 1e-5, 'eval output'));
      model.train();
      torch.noGrad(() => assertClose(model.forward(f.input), f.output_train, 1e-5, 1e-5, 'train output'));
      assertStateClose(model.stateDict(), f.state_after_train_forward, 1e-5, 'running stats after a train forward');
    }));

  test('LSTM model: a PyTorch state dict loads and gives PyTorch outputs and (h, c)', () =>
    torch.tidy(() => {
      const f = load('lstm');
      const model = new LSTMModel();
      model.loadStateDict(f.state);
      model.eval();
      const r = torch.noGrad(() => model.forward(f.input, [f.h0, f.c0]));
      assertClose(r.out, f.output, 1e-5, 1e-5, 'output');
      for (const k of ['h', 'c', 'h2', 'c2'] as const) assertClose(r[k], f[k], 1e-5, 1e-5, k);
      assert.deepEqual(r.h2.shape, [2, 3, 8], 'bidirectional h is [2·layers, batch, hidden]');
    }));

  test('Transformer encoders (post-norm relu, pre-norm gelu; masks, causal) give PyTorch outputs', () =>
    torch.tidy(() => {
      const f = load('transformer');
      const post = encoder(false, 'relu');
      post.loadStateDict(f.post_state);
      const pre = encoder(true, 'gelu');
      pre.loadStateDict(f.pre_state);
      post.eval();
      pre.eval();
      const x = f.input,
        kpm = f.key_padding_mask;
      const causal = torch.ops.aten.triu.default(torch.full([6, 6], -Infinity), 1) as Tensor;
      torch.noGrad(() => {
        assertClose(post.forward(x), f.post_plain, 1e-5, 1e-5, 'post plain');
        assertClose(post.forward(x, { mask: causal, srcKeyPaddingMask: kpm }), f.post_masked, 1e-5, 1e-5, 'post masked');
        assertClose(pre.forward(x), f.pre_plain, 1e-5, 1e-5, 'pre plain');
        assertClose(pre.forward(x, { isCausal: true }), f.pre_causal, 1e-5, 1e-5, 'pre causal (no mask given)');
        assertClose(pre.forward(x, { mask: causal, isCausal: true }), f.pre_causal, 1e-5, 1e-5, 'pre causal (mask given)');
        assertClose(pre.forward(x, { mask: causal, srcKeyPaddingMask: kpm }), f.pre_masked, 1e-5, 1e-5, 'pre masked');
      });
    }));

  test('MultiheadAttention: self and cross attention, boolean masks, weights per head, the fused path', () =>
    torch.tidy(() => {
      const f = load('mha');
      const mha = new nn.MultiheadAttention(12, 3);
      mha.loadStateDict(f.state);
      torch.noGrad(() => {
        const [so, sw] = mha.forward(f.q, f.q, f.q);
        assertClose(so, f.self_out, 1e-5, 1e-5, 'self out');
        assertClose(sw!, f.self_weights, 1e-5, 1e-5, 'self weights');
        const o = { attnMask: f.attn_mask, keyPaddingMask: f.key_padding_mask };
        const [co, cw] = mha.forward(f.q, f.kv, f.kv, o);
        assertClose(co, f.cross_out, 1e-5, 1e-5, 'cross out');
        assertClose(cw!, f.cross_weights, 1e-5, 1e-5, 'cross weights');
        const [cn, none] = mha.forward(f.q, f.kv, f.kv, { ...o, needWeights: false });
        assert.equal(none, null);
        assertClose(cn, f.cross_out_no_weights, 1e-5, 1e-5, 'cross out, fused path');
        const [ho, hw] = mha.forward(f.q, f.kv, f.kv, { keyPaddingMask: f.key_padding_mask, averageAttnWeights: false });
        assertClose(ho, f.heads_out, 1e-5, 1e-5, 'heads out');
        assert.deepEqual(hw!.shape, [2, 3, 5, 7]);
        assertClose(hw!, f.heads_weights, 1e-5, 1e-5, 'heads weights');
      });
    }));

  test('BatchNorm running statistics (momentum 0.3 and cumulative average) and eval outputs as PyTorch', () =>
    torch.tidy(() => {
      const f = load('batchnorm');
      const bn2 = new nn.BatchNorm2d(3, { momentum: 0.3 });
      const bn1 = new nn.BatchNorm1d(4, { momentum: null });
      bn2.loadStateDict(f.bn2_affine);
      torch.noGrad(() => {
        for (let i = 0; i < 3; ++i) {
          assertClose(bn2.forward(f.xs2[i]), f.out2[i], 1e-5, 1e-5, `bn2 out ${i}`);
          assertClose(bn1.forward(f.xs1[i]), f.out1[i], 1e-5, 1e-5, `bn1 out ${i}`);
          assertStateClose(bn2.stateDict(), f.bn2[i], 1e-5, `bn2 step ${i}`);
          assertStateClose(bn1.stateDict(), f.bn1[i], 1e-5, `bn1 step ${i}`);
        }
        bn2.eval();
        bn1.eval();
        assertClose(bn2.forward(f.xs2[0]), f.eval2, 1e-5, 1e-5, 'bn2 eval');
        assertClose(bn1.forward(f.xs1[0]), f.eval1, 1e-5, 1e-5, 'bn1 eval');
      });
      assert.equal(bn1.num_batches_tracked!.item(), 3);
    }));
});

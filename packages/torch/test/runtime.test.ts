// Process-wide state: seeding and RNG state, the intra-op thread count, build facts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { useOneThread } from './helpers.js';

useOneThread();

const F = torch.nn.functional;

/** A small training run that draws from the generator everywhere: init, shuffling, dropout. */
function trainRun(seed: number): number[] {
  torch.manualSeed(seed);
  return torch.tidy(() => {
    const x = torch.randn([64, 8]);
    const y = torch.randint(0, 3, [64]);
    const w1 = torch.randn([16, 8]).mul_(0.3).requiresGrad_();
    const w2 = torch.randn([3, 16]).mul_(0.3).requiresGrad_();
    const losses: number[] = [];
    for (let step = 0; step < 20; ++step) {
      losses.push(
        torch.tidy(() => {
          const idx = torch.randperm(64).slice(0, 0, 16);
          const h = F.dropout(F.linear(x.indexSelect(0, idx), w1).relu(), 0.3, true);
          const loss = F.crossEntropy(F.linear(h, w2), y.indexSelect(0, idx));
          loss.backward();
          torch.noGrad(() => {
            for (const p of [w1, w2]) {
              p.sub_(p.grad!, 0.1);
              p.grad!.zero_();
            }
          });
          return loss.item();
        }),
      );
    }
    return losses;
  });
}

describe('randomness', () => {
  test('manualSeed gives identical tensors from every kind of draw', () => {
    const draw = () => {
      torch.manualSeed(42);
      return [
        torch.rand([5]),
        torch.randn([5]),
        torch.randint(0, 100, [5]),
        torch.randperm(10),
        torch.randn([3]).bernoulli_(0.5),
        F.dropout(torch.ones([8]), 0.5, true),
      ].map((t: Tensor) => t.tolist());
    };
    const first = draw();
    assert.deepEqual(draw(), first);
    torch.manualSeed(43);
    assert.notDeepEqual(torch.rand([5]).tolist(), first[0]);
  });

  test('manualSeed gives an identical small training run, and another seed a different one', () => {
    const a = trainRun(5);
    const b = trainRun(5);
    assert.deepEqual(a, b);
    assert.notDeepEqual(trainRun(6), a);
    assert.ok(a[a.length - 1] < a[0] * 1.5, 'the run does something sensible');
  });

  test('getRngState / setRngState restore the stream exactly', () => {
    torch.manualSeed(1);
    torch.randn([7]); // move somewhere into the stream
    const state = torch.getRngState();
    assert.equal(state.dtype, 'uint8');
    const first = [torch.randn([4]).tolist(), torch.rand([2]).tolist(), torch.randperm(6).tolist()];
    const later = torch.randn([4]).tolist();
    torch.setRngState(state);
    const again = [torch.randn([4]).tolist(), torch.rand([2]).tolist(), torch.randperm(6).tolist()];
    assert.deepEqual(again, first);
    assert.deepEqual(torch.randn([4]).tolist(), later);
    // The state is a snapshot: drawing afterwards does not change the saved tensor.
    const saved = state.clone();
    torch.randn([100]);
    assert.deepEqual(state.tolist(), saved.tolist());
  });

  test('bad seeds are refused', () => {
    assert.throws(() => torch.manualSeed(-1), RangeError);
    assert.throws(() => torch.manualSeed(1.5), RangeError);
  });
});

describe('threads and build facts', () => {
  test('getNumThreads / setNumThreads round trip', () => {
    const original = torch.getNumThreads();
    assert.ok(original >= 1);
    try {
      torch.setNumThreads(1);
      assert.equal(torch.getNumThreads(), 1);
      torch.setNumThreads(3);
      assert.equal(torch.getNumThreads(), 3);
      // Results do not depend on the thread count.
      torch.manualSeed(0);
      const a = torch.randn([64, 64], { dtype: 'float64' });
      const three = a.matmul(a).sum().item();
      torch.setNumThreads(1);
      assert.ok(Math.abs(a.matmul(a).sum().item() - three) < 1e-9);
    } finally {
      torch.setNumThreads(original);
    }
    assert.equal(torch.getNumThreads(), original);
    assert.throws(() => torch.setNumThreads(0), RangeError);
    assert.throws(() => torch.setNumThreads(1.5), RangeError);
  });

  test('buildInfo names the libtorch version', () => {
    const info = torch.buildInfo();
    assert.match(info.torchVersion, /^\d+\.\d+/);
    assert.equal(typeof info.cudaAvailable, 'boolean');
    assert.equal(torch.cudaIsAvailable(), info.cudaAvailable);
    assert.match(info.parallelInfo, /ATen\/Parallel/);
  });
});

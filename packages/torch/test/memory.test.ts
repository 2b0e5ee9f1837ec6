// Deterministic tensor lifetime: a training loop's memory stays flat, and the
// scopes (tidy, DisposeScope with `using`, keep, dispose) free what they should.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { useOneThread } from './helpers.js';

const F = torch.nn.functional;
const live = () => torch.memoryStats().liveTensors;

useOneThread();

describe('a 5,000-step training loop inside tidy', () => {
  test('keeps the live tensor count constant and resident memory flat', (t) => {
    torch.manualSeed(7);
    const x = torch.randn([32, 16]);
    const y = torch.randint(0, 4, [32]);
    const w1 = torch.randn([32, 16]).mul_(0.25).requiresGrad_();
    const b1 = torch.zeros([32], { requiresGrad: true });
    const w2 = torch.randn([4, 32]).mul_(0.2).requiresGrad_();
    const b2 = torch.zeros([4], { requiresGrad: true });
    const params = [w1, b1, w2, b2];

    const counts: number[] = [];
    const rss: Record<number, number> = {};
    let firstLoss = 0;
    let lastLoss = 0;
    for (let step = 1; step <= 5000; ++step) {
      const loss = torch.tidy(() => {
        const logits = F.linear(F.relu(F.linear(x, w1, b1)), w2, b2);
        const l = F.crossEntropy(logits, y);
        l.backward();
        torch.noGrad(() => {
          for (const p of params) {
            const g = p.grad!;
            p.sub_(g, 0.05);
            g.zero_();
          }
        });
        return l.item();
      });
      if (step === 1) firstLoss = loss;
      lastLoss = loss;
      counts.push(live());
      if (step === 1000 || step === 5000) {
        (globalThis as { gc?: () => void }).gc?.();
        rss[step] = process.memoryUsage().rss;
      }
    }
    // Every step leaves exactly the same tensors alive (the data, the parameters and their grads).
    assert.ok(
      counts.every((c) => c === counts[0]),
      `live tensors varied: ${Math.min(...counts)}..${Math.max(...counts)}`,
    );
    // The loop trained: the loss fell.
    assert.ok(lastLoss < firstLoss * 0.5, `loss ${firstLoss} -> ${lastLoss}`);
    // Resident memory: growth from step 1000 to step 5000 under 20 MB.
    const growth = (rss[5000] - rss[1000]) / 2 ** 20;
    t.diagnostic(`rss ${(rss[1000] / 2 ** 20).toFixed(1)} MB at step 1000, ${(rss[5000] / 2 ** 20).toFixed(1)} MB at step 5000`);
    assert.ok(growth < 20, `rss grew ${growth.toFixed(1)} MB between step 1000 and 5000`);
    torch.dispose([x, y, params, params.map((p) => p.grad)]);
  });

  test('native bytes stay flat too (memoryStats().liveBytes)', () => {
    const w = torch.randn([64, 64], { requiresGrad: true });
    const bytes: number[] = [];
    for (let i = 0; i < 200; ++i) {
      torch.tidy(() => {
        w.matmul(w).tanh().sum().backward();
        torch.noGrad(() => w.grad!.zero_());
      });
      bytes.push(torch.memoryStats().liveBytes);
    }
    assert.equal(Math.max(...bytes), Math.min(...bytes));
    torch.dispose([w.grad, w]);
  });
});

describe('scopes', () => {
  test('tidy disposes intermediates and returns its result to the caller', () => {
    const before = live();
    const a = torch.ones([3]);
    const result = torch.tidy(() => a.add(1).mul(2).sub(1));
    assert.deepEqual(result.tolist(), [3, 3, 3]);
    assert.equal(live(), before + 2); // a and result; add/mul intermediates are gone
    torch.dispose([a, result]);
    assert.equal(live(), before);
  });

  test('tidy returns nested structures: arrays, objects and Maps of tensors survive', () => {
    const before = live();
    let inner: Tensor | undefined;
    const out = torch.tidy(() => {
      inner = torch.zeros([1]);
      const m = new Map<string, Tensor>([['m', torch.ones([1])]]);
      return { list: [torch.ones([2]), [torch.full([1], 5)]], obj: { deep: { t: torch.arange(3) } }, m, n: 4 };
    });
    assert.equal(inner!.isDisposed, true);
    assert.equal(out.n, 4);
    assert.deepEqual(out.list[0].toString(), 'tensor([1., 1.])');
    assert.deepEqual((out.list[1] as Tensor[])[0].tolist(), [5]);
    assert.deepEqual(out.obj.deep.t.tolist(), [0, 1, 2]);
    assert.deepEqual(out.m.get('m')!.tolist(), [1]);
    assert.equal(live(), before + 4);
    torch.dispose(out);
    assert.equal(live(), before);
  });

  test('nested tidy: the inner result moves to the outer scope and is freed there', () => {
    const before = live();
    let innerResult: Tensor | undefined;
    const outer = torch.tidy(() => {
      innerResult = torch.tidy(() => torch.ones([2]).add(1));
      assert.equal(innerResult.isDisposed, false);
      return innerResult.sum();
    });
    assert.equal(innerResult!.isDisposed, true);
    assert.equal(outer.item(), 4);
    outer.dispose();
    assert.equal(live(), before);
  });

  test('tidy disposes everything when its function throws, and the error passes through', () => {
    const before = live();
    let made: Tensor | undefined;
    assert.throws(
      () =>
        torch.tidy(() => {
          made = torch.ones([4]);
          made.add(1);
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal(made!.isDisposed, true);
    assert.equal(live(), before);
    // A libtorch error inside tidy as well.
    assert.throws(() => torch.tidy(() => torch.ones([2]).add(torch.ones([3]))), /aten::add/);
    assert.equal(live(), before);
  });

  test('tidy refuses async functions and frees what they made synchronously', async () => {
    const before = live();
    assert.throws(() => torch.tidy((async () => torch.ones([1])) as unknown as () => Tensor), /synchronous/);
    await new Promise((r) => setImmediate(r));
    assert.equal(live(), before);
  });

  test('keep() exempts a tensor from every enclosing scope', () => {
    const before = live();
    let kept: Tensor | undefined;
    let dropped: Tensor | undefined;
    torch.tidy(() =>
      torch.tidy(() => {
        kept = torch.keep(torch.ones([1]));
        dropped = torch.ones([1]);
      }),
    );
    assert.equal(kept!.isDisposed, false);
    assert.equal(dropped!.isDisposed, true);
    kept!.dispose();
    assert.equal(live(), before);
  });

  test('DisposeScope with `using` frees on block exit except scope.keep', () => {
    const before = live();
    let temp: Tensor | undefined;
    let survivor: Tensor | undefined;
    {
      using scope = torch.disposeScope();
      temp = torch.randn([3]);
      survivor = scope.keep(temp.mul(2));
      assert.equal(live(), before + 2);
    }
    assert.equal(temp.isDisposed, true);
    assert.equal(survivor.isDisposed, false);
    survivor.dispose();
    assert.equal(live(), before);
  });

  test('DisposeScope frees on an exception too, and refuses to close out of order', () => {
    const before = live();
    let temp: Tensor | undefined;
    assert.throws(() => {
      using _scope = new torch.DisposeScope();
      temp = torch.ones([2]);
      throw new Error('inside');
    }, /inside/);
    assert.equal(temp!.isDisposed, true);
    assert.equal(live(), before);

    const outer = torch.disposeScope();
    const inner = torch.disposeScope();
    assert.throws(() => outer.dispose(), /out of order/);
    inner.dispose();
    outer.dispose();
  });

  test('dispose() frees a tensor at once, twice is harmless, and `using` on a tensor works', () => {
    const before = live();
    const bytesBefore = torch.memoryStats().liveBytes;
    const t = torch.zeros([1024, 256]);
    assert.equal(torch.memoryStats().liveBytes, bytesBefore + 1024 * 256 * 4);
    t.dispose();
    t.dispose();
    assert.equal(t.isDisposed, true);
    assert.equal(t.toString(), 'tensor(<disposed>)');
    assert.equal(torch.memoryStats().liveBytes, bytesBefore);
    let u: Tensor | undefined;
    {
      using x = torch.ones([2]);
      u = x;
    }
    assert.equal(u.isDisposed, true);
    assert.equal(live(), before);
  });

  test('the safety net: tensors nobody disposed are freed when the GC collects their handles', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const before = live();
    // Held until counted (a GC inside the loop may already free unreferenced ones), then dropped.
    (() => {
      const held: torch.Tensor[] = [];
      for (let i = 0; i < 2000; ++i) held.push(torch.ones([256]));
      for (let i = 0; i < 2000; ++i) held.push(held[i]!.add(1));
      assert.equal(live(), before + 4000);
    })();
    for (let i = 0; i < 5 && live() > before; ++i) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(live(), before);
  });

  test('a view keeps its storage alive after the base is disposed', () => {
    const base = torch.arange(6).reshape(2, 3);
    const row = base.select(0, 1);
    base.dispose();
    assert.deepEqual(row.tolist(), [3, 4, 5]);
    row.dispose();
  });

  test('in-place ops inside tidy do not dispose the tensor they modify', () => {
    const w = torch.zeros([3]);
    const r = torch.tidy(() => w.add_(1).mul_(3));
    assert.equal(r, w);
    assert.equal(w.isDisposed, false);
    assert.deepEqual(w.tolist(), [3, 3, 3]);
    w.dispose();
  });
});

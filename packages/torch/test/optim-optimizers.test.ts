// Optimizers against PyTorch: after k steps on a fixed problem the parameters
// equal torch.optim's (fixtures from test/fixtures/optim/make_optim_fixtures.py).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/index.js';
import { optim, type Tensor } from '../src/index.js';
import { useOneThread } from './helpers.js';

useOneThread();

type Nested = number[] | number[][];
interface Case {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop';
  options: Record<string, unknown>;
  groups?: ({ params: string[] } & Record<string, unknown>)[];
  clip?: { max_norm: number; norm_type: number | 'inf' };
  clip_value?: number;
  schedule?: { type: 'StepLR'; step_size: number; gamma: number };
  steps: number;
  losses: number[];
  norms?: number[];
  final: Record<string, Nested>;
}
interface Fixture {
  x: number[][];
  y: number[][];
  init: Record<string, Nested>;
  cases: Case[];
  interop: { case: string; file: string; step: number }[];
}

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/optim/optimizers.json', import.meta.url), 'utf8')) as Fixture;
const NAMES = ['W1', 'b1', 'W2', 'b2'];
const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const camelOptions = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));

function loss(p: Record<string, Tensor>, x: Tensor, y: Tensor): Tensor {
  const h = x.matmul(p.W1.t()).add(p.b1).tanh();
  return h.matmul(p.W2.t()).add(p.b2).sub(y).square().mean();
}

function makeOptimizer(c: Case, params: Record<string, Tensor>): optim.Optimizer<any> {
  const options = camelOptions(c.options);
  const input = c.groups
    ? c.groups.map((g) => ({ ...camelOptions(g), params: g.params.map((n) => params[n]) }))
    : NAMES.map((n) => params[n]);
  const Ctor = { SGD: optim.SGD, Adam: optim.Adam, AdamW: optim.AdamW, RMSprop: optim.RMSprop }[c.optimizer];
  return new Ctor(input as any, options as any);
}

function maxAbsDiff(t: Tensor, expected: Nested): number {
  const a = Array.from(t.data(), Number);
  const b = (expected as unknown[]).flat(2) as number[];
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; ++i) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('optimizers match torch.optim', () => {
  const x = torch.tensor(fixture.x);
  const y = torch.tensor(fixture.y);
  for (const c of fixture.cases) {
    it(c.name, () => {
      const params = Object.fromEntries(NAMES.map((n) => [n, torch.tensor(fixture.init[n]).requiresGrad_()]));
      const opt = makeOptimizer(c, params);
      const sched = c.schedule ? new optim.StepLR(opt, c.schedule.step_size, c.schedule.gamma) : null;
      for (let k = 0; k < c.steps; ++k) {
        opt.zeroGrad();
        torch.tidy(() => {
          const l = loss(params, x, y);
          l.backward();
          assert.ok(
            Math.abs(l.item() - c.losses[k]) <= 1e-5 * Math.max(1, Math.abs(c.losses[k])),
            `${c.name}: loss at step ${k}: ${l.item()} vs ${c.losses[k]}`,
          );
        });
        if (c.clip) {
          const n = optim.clipGradNorm_(Object.values(params), c.clip.max_norm, c.clip.norm_type === 'inf' ? Infinity : c.clip.norm_type);
          assert.ok(Math.abs(n - c.norms![k]) <= 1e-5 * Math.max(1, c.norms![k]), `norm at step ${k}: ${n} vs ${c.norms![k]}`);
        }
        if (c.clip_value !== undefined) optim.clipGradValue_(Object.values(params), c.clip_value);
        opt.step();
        sched?.step();
      }
      for (const n of NAMES) {
        const d = maxAbsDiff(params[n], c.final[n]);
        assert.ok(d <= 1e-5, `${c.name}: ${n} differs from PyTorch by ${d}`);
      }
      opt.dispose();
      torch.dispose(Object.values(params));
    });
  }
});

describe('optimizer state saved by Python torch.save', () => {
  const x = torch.tensor(fixture.x);
  const y = torch.tensor(fixture.y);
  for (const io of fixture.interop) {
    it(`${io.case}: resumes from step ${io.step} and ends where PyTorch does`, () => {
      const c = fixture.cases.find((k) => k.name === io.case)!;
      const saved = torch.load(fileURLToPath(new URL(`../../test/fixtures/optim/${io.file}`, import.meta.url))) as any;
      assert.equal(saved.step, io.step);
      // Fresh parameters and optimizer (as a resumed run builds them), then the saved state.
      const params = Object.fromEntries(NAMES.map((n) => [n, torch.tensor(fixture.init[n]).requiresGrad_()]));
      const opt = makeOptimizer(c, params);
      const sched = c.schedule ? new optim.StepLR(opt, c.schedule.step_size, c.schedule.gamma) : null;
      torch.noGrad(() => {
        for (const n of NAMES) params[n].copy_(saved.params[n]);
      });
      opt.loadStateDict(saved.optimizer);
      if (sched) sched.loadStateDict(saved.scheduler);
      torch.dispose(saved);
      for (let k = io.step; k < c.steps; ++k) {
        opt.zeroGrad();
        torch.tidy(() => loss(params, x, y).backward());
        opt.step();
        sched?.step();
      }
      for (const n of NAMES) {
        const d = maxAbsDiff(params[n], c.final[n]);
        assert.ok(d <= 1e-5, `${c.name}: ${n} differs from PyTorch by ${d}`);
      }
    });
  }
});

describe('Optimizer', () => {
  it('zeroGrad sets gradients to null, or zeroes them in place', () => {
    const w = torch.ones([3]).requiresGrad_();
    const opt = new optim.SGD([w], { lr: 0.1 });
    w.mul(2).sum().backward();
    opt.zeroGrad(false);
    assert.deepEqual([...w.grad!.data()], [0, 0, 0]);
    opt.zeroGrad();
    assert.equal(w.grad, null);
  });

  it('skips parameters without gradients and validates options', () => {
    const a = torch.ones([2]).requiresGrad_();
    const b = torch.ones([2]).requiresGrad_();
    const opt = new optim.Adam([a, b], { lr: 0.1 });
    a.sum().backward();
    opt.step();
    assert.deepEqual([...b.data()], [1, 1]);
    assert.ok(a.data()[0] < 1);
    assert.equal(opt.state.has(b), false);
    assert.throws(() => new optim.SGD([a], { lr: -1 }), /Invalid learning rate/);
    assert.throws(() => new optim.SGD([a], { nesterov: true }), /Nesterov/);
    assert.throws(() => new optim.Adam([a], { betas: [1.5, 0.9] }), /beta/);
    assert.throws(() => new optim.SGD([{ params: [a] }, { params: [a] }], {}), /more than one parameter group/);
    assert.throws(() => new optim.SGD([a.mul(2)], {}), /non-leaf/);
  });

  it('accepts a module-like object and addParamGroup with its own options', () => {
    const w = torch.ones([2]).requiresGrad_();
    const v = torch.ones([2]).requiresGrad_();
    const opt = new optim.SGD({ parameters: () => [w] }, { lr: 0.5, momentum: 0.9 });
    opt.addParamGroup({ params: [v], lr: 0.1 });
    assert.equal(opt.paramGroups.length, 2);
    assert.equal(opt.paramGroups[1].lr, 0.1);
    assert.equal(opt.paramGroups[1].momentum, 0.9);
    w.sum().add(v.sum()).backward();
    opt.step();
    assert.ok(Math.abs(Number(w.data()[0]) - 0.5) < 1e-7);
    assert.ok(Math.abs(Number(v.data()[0]) - 0.9) < 1e-7);
  });

  it('clipGradNorm_ edge cases: no gradients, non-finite norms, a module-like argument', () => {
    const a = torch.ones([3]).requiresGrad_();
    assert.equal(optim.clipGradNorm_([a], 1), 0);
    a.mul(torch.tensor([3, 4, 0]))
      .sum()
      .backward();
    assert.ok(Math.abs(optim.clipGradNorm_({ parameters: () => [a] }, 10) - 5) < 1e-6);
    assert.deepEqual([...a.grad!.data()], [3, 4, 0]);
    assert.ok(Math.abs(optim.clipGradNorm_(a, 1) - 5) < 1e-6);
    assert.ok(Math.abs(a.grad!.norm().item() - 1) < 1e-5);
    a.grad = torch.tensor([Infinity, 1, 1]);
    assert.throws(() => optim.clipGradNorm_([a], 1, 2, true), /non-finite/);
    optim.clipGradValue_([a], 0.5);
    assert.deepEqual([...a.grad!.data()], [0.5, 0.5, 0.5]);
  });

  it('step(closure) returns the loss', () => {
    const w = torch.tensor([2]).requiresGrad_();
    const opt = new optim.SGD([w], { lr: 0.25 });
    const l = opt.step(() => {
      opt.zeroGrad();
      const loss = w.square().sum();
      loss.backward();
      return loss.item();
    });
    assert.equal(l, 4);
    assert.equal(w.item(), 1);
  });

  it('stateDict is in PyTorch layout and loadStateDict restores the trajectory', () => {
    const x = torch.tensor(fixture.x);
    const y = torch.tensor(fixture.y);
    const run = (opt: optim.Optimizer<any>, p: Record<string, Tensor>, steps: number) => {
      for (let k = 0; k < steps; ++k) {
        opt.zeroGrad();
        torch.tidy(() => loss(p, x, y).backward());
        opt.step();
      }
    };
    const fresh = () => Object.fromEntries(NAMES.map((n) => [n, torch.tensor(fixture.init[n]).requiresGrad_()]));
    for (const make of [
      (p: Record<string, Tensor>) =>
        new optim.AdamW(
          [
            { params: [p.W1, p.b1], weightDecay: 0.2 },
            { params: [p.W2, p.b2], lr: 0.03 },
          ],
          { lr: 0.01, amsgrad: true },
        ),
      (p: Record<string, Tensor>) =>
        new optim.SGD(
          NAMES.map((n) => p[n]),
          { lr: 0.05, momentum: 0.9, nesterov: true },
        ),
    ]) {
      const straight = fresh();
      run(make(straight), straight, 10);

      const first = fresh();
      const opt1 = make(first);
      run(opt1, first, 5);
      const sd = opt1.stateDict();
      const bytes = torch.serialize(sd as unknown as torch.Saveable);
      // a fresh optimizer on copies of the parameters
      const second = Object.fromEntries(NAMES.map((n) => [n, first[n].detach().clone().requiresGrad_()]));
      const opt2 = make(second);
      const loaded = torch.deserialize(bytes) as unknown as optim.OptimizerStateDict;
      opt2.loadStateDict(loaded);
      torch.dispose(loaded);
      assert.deepEqual(
        opt2.paramGroups.map((g) => g.lr),
        opt1.paramGroups.map((g) => g.lr),
      );
      run(opt2, second, 5);
      for (const n of NAMES) assert.deepEqual([...second[n].data()], [...straight[n].data()], n);
    }
  });

  it('stateDict keys and indices follow PyTorch', () => {
    const a = torch.ones([2]).requiresGrad_();
    const b = torch.ones([3]).requiresGrad_();
    const opt = new optim.Adam([{ params: [a] }, { params: [b], weightDecay: 0.1 }], { lr: 0.01 });
    a.sum().add(b.sum()).backward();
    opt.step();
    const sd = opt.stateDict();
    assert.deepEqual(Object.keys(sd.state), ['0', '1']);
    assert.deepEqual(Object.keys(sd.state['1']).sort(), ['exp_avg', 'exp_avg_sq', 'step']);
    assert.equal((sd.state['0'].step as Tensor).item(), 1);
    assert.equal((sd.state['0'].step as Tensor).dtype, 'float32');
    assert.deepEqual(
      sd.param_groups.map((g) => g.params),
      [[0], [1]],
    );
    assert.equal(sd.param_groups[1].weight_decay, 0.1);
    assert.deepEqual(sd.param_groups[0].betas, [0.9, 0.999]);
  });

  it('refuses a state dict for other parameters', () => {
    const a = torch.ones([2]).requiresGrad_();
    const b = torch.ones([3]).requiresGrad_();
    const opt = new optim.Adam([a, b]);
    a.sum().add(b.sum()).backward();
    opt.step();
    const other = new optim.Adam([torch.ones([2]).requiresGrad_()]);
    assert.throws(() => other.loadStateDict(opt.stateDict()), /2 parameters in the state dict but 1/);
    const swapped = new optim.Adam([torch.ones([3]).requiresGrad_(), torch.ones([2]).requiresGrad_()]);
    assert.throws(() => swapped.loadStateDict(opt.stateDict()), /shape/);
    assert.throws(() => other.loadStateDict({} as any), /not an optimizer state dict/);
  });

  it('keeps memory flat over thousands of steps', () => {
    const w = torch.randn([64, 32]).requiresGrad_();
    const x = torch.randn([16, 32]);
    for (const opt of [
      new optim.Adam([w], { amsgrad: true, weightDecay: 0.01 }),
      new optim.SGD([w], { lr: 1e-3, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }),
    ]) {
      // A backward pass now and then (slow on a loaded machine); the optimizer's own work every step.
      const stepOnce = (i: number) => {
        if (i % 100 === 0) {
          opt.zeroGrad();
          torch.tidy(() => x.matmul(w.t()).square().mean().backward());
        }
        optim.clipGradNorm_([w], 1.0);
        opt.step();
      };
      for (let i = 0; i < 10; ++i) stepOnce(i);
      const before = torch.memoryStats();
      for (let i = 0; i < 2000; ++i) stepOnce(i);
      const after = torch.memoryStats();
      assert.ok(after.liveTensors <= before.liveTensors, `live tensors grew from ${before.liveTensors} to ${after.liveTensors}`);
      assert.ok(after.liveBytes <= before.liveBytes, `live bytes grew from ${before.liveBytes} to ${after.liveBytes}`);
      opt.dispose();
    }
  });
});

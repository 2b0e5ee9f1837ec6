// LR schedules against torch.optim.lr_scheduler: the learning rates after each
// step() equal PyTorch's (fixtures from test/fixtures/optim/make_optim_fixtures.py).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as torch from '../src/index.js';
import { optim } from '../src/index.js';
import { useOneThread } from './helpers.js';

useOneThread();

type Spec = { type: string } & Record<string, any>;
interface Case {
  name: string;
  spec: Spec;
  base_lrs: number[];
  steps: number;
  last_lrs: number[][];
  group_lrs: number[][];
}
interface PlateauCase {
  name: string;
  options: Record<string, any>;
  base_lrs: number[];
  metrics: number[];
  last_lrs: number[][];
}
interface OneCycleCase {
  name: string;
  optimizer: 'SGD' | 'Adam';
  options: Record<string, any>;
  last_lrs: number[][];
  momentum: number[][];
}
const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/optim/schedules.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  plateau: PlateauCase[];
  one_cycle: OneCycleCase[];
  warm_restart_fractional: { T_0: number; T_mult: number; eta_min: number; epochs: number[]; last_lrs: number[][] };
};

// The same functions as LAMBDAS in make_optim_fixtures.py.
const LAMBDAS: Record<string, (e: number) => number> = {
  exp095: (e) => 0.95 ** e,
  warmup5: (e) => Math.min(1.0, (e + 1) / 5),
  inverse_sqrt: (e) => 1.0 / Math.sqrt(e + 1),
};

function make(spec: Spec, opt: optim.Optimizer<any>): optim.LRScheduler {
  switch (spec.type) {
    case 'StepLR':
      return new optim.StepLR(opt, spec.step_size, spec.gamma);
    case 'MultiStepLR':
      return new optim.MultiStepLR(opt, spec.milestones, spec.gamma);
    case 'CosineAnnealingLR':
      return new optim.CosineAnnealingLR(opt, spec.T_max, spec.eta_min);
    case 'LinearLR':
      return new optim.LinearLR(opt, { startFactor: spec.start_factor, endFactor: spec.end_factor, totalIters: spec.total_iters });
    case 'ConstantLR':
      return new optim.ConstantLR(opt, spec.factor, spec.total_iters);
    case 'ExponentialLR':
      return new optim.ExponentialLR(opt, spec.gamma);
    case 'LambdaLR':
      return new optim.LambdaLR(
        opt,
        Array.isArray(spec.lr_lambda) ? spec.lr_lambda.map((n: string) => LAMBDAS[n]) : LAMBDAS[spec.lr_lambda],
      );
    case 'CosineAnnealingWarmRestarts':
      return new optim.CosineAnnealingWarmRestarts(opt, spec.T_0, spec.T_mult, spec.eta_min);
    case 'SequentialLR':
      return new optim.SequentialLR(
        opt,
        spec.schedulers.map((s: Spec) => make(s, opt)),
        spec.milestones,
      );
    case 'ChainedScheduler':
      return new optim.ChainedScheduler(spec.schedulers.map((s: Spec) => make(s, opt)));
    default:
      throw new Error(`unknown scheduler ${spec.type}`);
  }
}

function makeOptimizer(baseLrs: number[]) {
  return new optim.SGD(
    baseLrs.map((lr) => ({ params: [torch.zeros([1]).requiresGrad_()], lr })),
    { lr: 0.5 },
  );
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

function assertLrs(actual: number[], expected: number[], what: string) {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((a, i) => assert.ok(close(a, expected[i]), `${what}: group ${i}: ${a} vs PyTorch ${expected[i]}`));
}

describe('LR schedules match torch.optim.lr_scheduler', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const opt = makeOptimizer(c.base_lrs);
      const sched = make(c.spec, opt);
      assertLrs(sched.getLastLr(), c.last_lrs[0], 'after construction');
      assertLrs(
        opt.paramGroups.map((g) => g.lr),
        c.group_lrs[0],
        'group lr after construction',
      );
      for (let k = 1; k <= c.steps; ++k) {
        opt.step();
        sched.step();
        assertLrs(sched.getLastLr(), c.last_lrs[k], `after step ${k}`);
        assertLrs(
          opt.paramGroups.map((g) => g.lr),
          c.group_lrs[k],
          `group lr after step ${k}`,
        );
      }
    });

    it(`${c.name}: stateDict round trip resumes the same sequence`, () => {
      const half = Math.floor(c.steps / 2);
      const opt1 = makeOptimizer(c.base_lrs);
      const s1 = make(c.spec, opt1);
      for (let k = 1; k <= half; ++k) s1.step();
      const bytes = torch.serialize({ optimizer: opt1.stateDict() as any, scheduler: s1.stateDict() });
      // A fresh optimizer and scheduler (whose constructor resets the learning rates), then load both.
      const opt2 = makeOptimizer(c.base_lrs);
      const s2 = make(c.spec, opt2);
      const loaded = torch.deserialize(bytes) as any;
      opt2.loadStateDict(loaded.optimizer);
      s2.loadStateDict(loaded.scheduler);
      assertLrs(s2.getLastLr(), c.last_lrs[half], 'after loading');
      assertLrs(
        opt2.paramGroups.map((g) => g.lr),
        c.group_lrs[half],
        'group lr after loading',
      );
      for (let k = half + 1; k <= c.steps; ++k) {
        s2.step();
        assertLrs(s2.getLastLr(), c.last_lrs[k], `after step ${k}`);
      }
    });
  }
});

describe('ReduceLROnPlateau matches PyTorch', () => {
  const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  for (const c of fixture.plateau) {
    it(c.name, () => {
      const options = Object.fromEntries(Object.entries(c.options).map(([k, v]) => [camel(k), v]));
      let opt = makeOptimizer(c.base_lrs);
      let sched = new optim.ReduceLROnPlateau(opt, options);
      c.metrics.forEach((m, k) => {
        opt.step();
        sched.step(m);
        assertLrs(sched.getLastLr(), c.last_lrs[k], `after metric ${k}`);
        if (k === 10) {
          // Resume halfway from a state dict, through the file format.
          const bytes = torch.serialize({ o: opt.stateDict() as any, s: sched.stateDict() });
          const loaded = torch.deserialize(bytes) as any;
          const opt2 = makeOptimizer(c.base_lrs);
          const sched2 = new optim.ReduceLROnPlateau(opt2, options);
          opt2.loadStateDict(loaded.o);
          sched2.loadStateDict(loaded.s);
          sched = sched2;
          opt = opt2;
        }
      });
    });
  }
  it('needs the metric and refuses to be chained', () => {
    const opt = makeOptimizer([0.1]);
    const s = new optim.ReduceLROnPlateau(opt);
    assert.throws(() => s.step(), /needs the metric/);
    assert.throws(() => new optim.ChainedScheduler([s]), /ReduceLROnPlateau/);
    assert.throws(() => new optim.ReduceLROnPlateau(opt, { factor: 1 }), /Factor should be < 1.0/);
  });
});

describe('OneCycleLR matches PyTorch', () => {
  const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  for (const c of fixture.one_cycle) {
    it(c.name, () => {
      const options = Object.fromEntries(Object.entries(c.options).map(([k, v]) => [camel(k), v])) as any;
      const groups = [0.1, 0.03].map((lr) => ({ params: [torch.zeros([1]).requiresGrad_()], lr }));
      let opt: optim.Optimizer<any> =
        c.optimizer === 'SGD' ? new optim.SGD(groups, { lr: 0.5, momentum: 0.9 }) : new optim.Adam(groups, { lr: 0.5 });
      let sched = new optim.OneCycleLR(opt, options);
      const momentum = () => opt.paramGroups.map((g: any) => (c.optimizer === 'SGD' ? g.momentum : g.betas[0]));
      assertLrs(sched.getLastLr(), c.last_lrs[0], 'after construction');
      assertLrs(momentum(), c.momentum[0], 'momentum after construction');
      for (let k = 1; k < c.last_lrs.length; ++k) {
        opt.step();
        sched.step();
        assertLrs(sched.getLastLr(), c.last_lrs[k], `after step ${k}`);
        assertLrs(momentum(), c.momentum[k], `momentum after step ${k}`);
        if (k === 9) {
          // Resume from state dicts (through the file format) into fresh objects.
          const loaded = torch.deserialize(torch.serialize({ o: opt.stateDict() as any, s: sched.stateDict() })) as any;
          const groups2 = [0.1, 0.03].map((lr) => ({ params: [torch.zeros([1]).requiresGrad_()], lr }));
          const opt2 = c.optimizer === 'SGD' ? new optim.SGD(groups2, { lr: 0.5, momentum: 0.9 }) : new optim.Adam(groups2, { lr: 0.5 });
          const sched2 = new optim.OneCycleLR(opt2, options);
          opt2.loadStateDict(loaded.o);
          sched2.loadStateDict(loaded.s);
          opt = opt2;
          sched = sched2;
        }
      }
      assert.throws(() => {
        opt.step();
        sched.step();
        sched.step();
      }, /Tried to step/);
    });
  }
});

describe('CosineAnnealingWarmRestarts with fractional epochs', () => {
  it('matches PyTorch when stepped with epoch + batch / batches', () => {
    const f = fixture.warm_restart_fractional;
    const opt = makeOptimizer([0.1, 0.03]);
    const sched = new optim.CosineAnnealingWarmRestarts(opt, f.T_0, f.T_mult, f.eta_min);
    f.epochs.forEach((e, k) => {
      opt.step();
      sched.step(e);
      // Math.log vs Python's math.log(x, base) may differ in the last bit at a restart boundary.
      sched.getLastLr().forEach((lr, i) => assert.ok(Math.abs(lr - f.last_lrs[k][i]) <= 1e-9, `epoch ${e}: ${lr} vs ${f.last_lrs[k][i]}`));
    });
  });
});

describe('LRScheduler', () => {
  it('keeps initialLr in the groups and uses PyTorch state-dict keys', () => {
    const opt = makeOptimizer([0.1]);
    const s = new optim.CosineAnnealingLR(opt, 10, 0.001);
    s.step();
    assert.equal(opt.paramGroups[0].initialLr, 0.1);
    const sd = s.stateDict();
    assert.equal(sd.last_epoch, 1);
    assert.equal(sd._step_count, 2);
    assert.deepEqual(sd.base_lrs, [0.1]);
    assert.equal(sd.T_max, 10);
    assert.equal(sd.eta_min, 0.001);
    assert.equal(opt.stateDict().param_groups[0].initial_lr, 0.1);
  });

  it('refuses bad arguments', () => {
    const opt = makeOptimizer([0.1, 0.2]);
    assert.throws(() => new optim.LambdaLR(opt, [(e) => e]), /Expected 2 lr_lambdas/);
    assert.throws(() => new optim.LinearLR(opt, { startFactor: 0 }), /Starting multiplicative factor/);
    const other = makeOptimizer([0.1, 0.2]);
    assert.throws(() => new optim.SequentialLR(opt, [new optim.StepLR(opt, 2), new optim.StepLR(other, 2)], [3]), /same optimizer/);
    assert.throws(() => new optim.SequentialLR(opt, [new optim.StepLR(opt, 2)], [3]), /one milestone fewer/);
    assert.throws(() => new optim.StepLR(opt, 2).loadStateDict({}), /not a scheduler state dict/);
  });
});

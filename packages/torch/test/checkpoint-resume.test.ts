// Checkpoints: 2k steps straight equal k steps + save + load into fresh
// objects + k steps (with dropout and random inputs, so the random state
// matters); bad files are refused with a clear Error; saves are atomic.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as torch from '../src/index.js';
import { nn, optim, type Tensor } from '../src/index.js';
import { useOneThread } from './helpers.js';

useOneThread();

const dir = mkdtempSync(join(tmpdir(), 'lot-checkpoint-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A tiny module-like model (the state-dict pair is all checkpoints need). */
class TinyNet {
  readonly params: Record<string, Tensor>;
  constructor(readonly dropout = 0.3) {
    this.params = torch.keep({
      'fc1.weight': torch.randn([16, 4]).mul(0.5).requiresGrad_(),
      'fc1.bias': torch.zeros([16]).requiresGrad_(),
      'fc2.weight': torch.randn([3, 16]).mul(0.3).requiresGrad_(),
      'fc2.bias': torch.zeros([3]).requiresGrad_(),
    });
  }
  parameters(): Tensor[] {
    return Object.values(this.params);
  }
  namedParameters(): [string, Tensor][] {
    return Object.entries(this.params);
  }
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(Object.entries(this.params).map(([k, p]) => [k, p.detach()]));
  }
  loadStateDict(sd: Record<string, Tensor>): void {
    torch.noGrad(() => {
      for (const [k, p] of Object.entries(this.params)) p.copy_(sd[k]);
    });
  }
  forward(x: Tensor): Tensor {
    const p = this.params;
    const h = torch.nn.functional.dropout(x.matmul(p['fc1.weight'].t()).add(p['fc1.bias']).tanh(), this.dropout, true);
    return h.matmul(p['fc2.weight'].t()).add(p['fc2.bias']);
  }
}

interface Run {
  model: TinyNet;
  opt: optim.AdamW;
  sched: optim.LRScheduler;
}

function setup(seed: number): Run {
  torch.manualSeed(seed);
  const model = new TinyNet();
  const p = model.params;
  const opt = new optim.AdamW(
    [
      { params: [p['fc1.weight'], p['fc2.weight']], weightDecay: 0.05 },
      { params: [p['fc1.bias'], p['fc2.bias']], weightDecay: 0, lr: 0.02 },
    ],
    { lr: 0.01, amsgrad: true },
  );
  const sched = new optim.SequentialLR(
    opt,
    [new optim.LinearLR(opt, { startFactor: 0.1, totalIters: 5 }), new optim.CosineAnnealingLR(opt, 30, 1e-4)],
    [5],
  );
  return { model, opt, sched };
}

/** Training steps whose inputs, targets and dropout masks all come from the random generator. */
function train(r: Run, steps: number): void {
  for (let i = 0; i < steps; ++i) {
    r.opt.zeroGrad();
    torch.tidy(() => {
      const x = torch.randn([8, 4]);
      const y = x
        .narrow(1, 0, 3)
        .sin()
        .add(torch.randn([8, 3]).mul(0.1));
      r.model.forward(x).sub(y).square().mean().backward();
    });
    optim.clipGradNorm_(r.model.parameters(), 1.0);
    r.opt.step();
    r.sched.step();
  }
}

const values = (m: TinyNet) => Object.fromEntries(m.namedParameters().map(([k, p]) => [k, [...p.data()]]));

describe('checkpoint resume', () => {
  const K = 15;
  const straight = setup(7);
  train(straight, 2 * K);

  it('k steps + save + load into fresh objects + k steps equals 2k steps straight', () => {
    const path = join(dir, 'resume.ckpt');
    const first = setup(7);
    train(first, K);
    saveThenCheck(path, first, K);

    // Fresh objects, a different initialisation and a disturbed generator: the checkpoint must restore everything.
    const second = setup(12345);
    torch.randn([100]);
    const extra = torch.loadCheckpoint(path, { model: second.model, optimizers: second.opt, schedulers: second.sched });
    assert.equal(extra.step, K);
    assert.equal(extra.note, 'halfway');
    assert.deepEqual(second.sched.getLastLr(), first.sched.getLastLr());
    train(second, K);
    assert.deepEqual(values(second.model), values(straight.model));
    assert.deepEqual(second.sched.getLastLr(), straight.sched.getLastLr());
  });

  it('the random state matters: without restoring it the run differs', () => {
    const path = join(dir, 'resume.ckpt');
    const third = setup(99);
    torch.loadCheckpoint(path, { model: third.model, optimizers: third.opt, schedulers: third.sched, rng: false });
    train(third, K);
    assert.notDeepEqual(values(third.model), values(straight.model));
  });

  function saveThenCheck(path: string, r: Run, step: number) {
    torch.saveCheckpoint(path, { model: r.model, optimizers: r.opt, schedulers: r.sched, extra: { step, note: 'halfway' } });
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.tmp')),
      [],
      'no temporary file left behind',
    );
  }
});

describe('checkpoint with torch.nn modules', () => {
  it('restores a Sequential with dropout and BatchNorm buffers, several models by name, and several optimizers', () => {
    const make = (seed: number) => {
      torch.manualSeed(seed);
      const teacher = new nn.Sequential(
        new nn.Linear(4, 8),
        new nn.BatchNorm1d(8),
        new nn.ReLU(),
        new nn.Dropout(0.2),
        new nn.Linear(8, 2),
      );
      const student = new nn.Sequential(new nn.Linear(4, 2));
      const optimizers = {
        teacher: new optim.SGD(teacher.parameters(), { lr: 0.1, momentum: 0.9 }),
        student: new optim.Adam(student.parameters(), { lr: 0.01 }),
      };
      const schedulers = [new optim.StepLR(optimizers.teacher, 3, 0.5), new optim.ExponentialLR(optimizers.student, 0.9)];
      return { models: { teacher, student }, optimizers, schedulers };
    };
    const step = (s: ReturnType<typeof make>, n: number) => {
      for (let i = 0; i < n; ++i) {
        for (const o of Object.values(s.optimizers)) o.zeroGrad();
        torch.tidy(() => {
          const x = torch.randn([6, 4]);
          const t = s.models.teacher.forward(x) as Tensor;
          const st = s.models.student.forward(x) as Tensor;
          t.square().mean().add(st.sub(t.detach()).square().mean()).backward();
        });
        for (const o of Object.values(s.optimizers)) o.step();
        for (const sc of s.schedulers) sc.step();
      }
    };
    const a = make(1);
    step(a, 10);
    const b = make(1);
    step(b, 5);
    const path = join(dir, 'two-models.ckpt');
    torch.saveCheckpoint(path, { model: b.models, optimizers: b.optimizers, schedulers: b.schedulers, extra: { epoch: 5 } });
    const c = make(2);
    const extra = torch.loadCheckpoint(path, { model: c.models, optimizers: c.optimizers, schedulers: c.schedulers });
    assert.equal(extra.epoch, 5);
    step(c, 5);
    for (const name of ['teacher', 'student'] as const) {
      const sa = a.models[name].stateDict();
      const sc = c.models[name].stateDict();
      assert.deepEqual(Object.keys(sc), Object.keys(sa));
      for (const k of Object.keys(sa)) assert.deepEqual([...sc[k].data()], [...sa[k].data()], `${name}.${k}`);
    }
    // A single-model target for a two-model checkpoint, or too few optimizers, is refused.
    assert.throws(() => torch.loadCheckpoint(path, { model: c.models.teacher }), /saved with several models/);
    assert.throws(() => torch.loadCheckpoint(path, { optimizers: [c.optimizers.teacher] }), /holds 2 optimizers but 1 were given/);
  });
});

describe('checkpoint memory and extra values', () => {
  it('tensors in extra come back; save/load cycles keep live tensors flat', () => {
    torch.manualSeed(3);
    const r = setup(3);
    train(r, 2);
    const path = join(dir, 'cycle.ckpt');
    const ema = torch.arange(0, 6).reshape([2, 3]);
    torch.saveCheckpoint(path, {
      model: r.model,
      optimizers: [r.opt],
      schedulers: [r.sched],
      extra: { ema, history: [1, 2.5, 'x'], nested: { ok: true } },
    });
    const extra = torch.loadCheckpoint(path, { model: r.model, optimizers: [r.opt], schedulers: [r.sched] });
    assert.deepEqual((extra.ema as Tensor).tolist(), ema.tolist());
    assert.deepEqual(extra.history, [1, 2.5, 'x']);
    assert.deepEqual(extra.nested, { ok: true });
    torch.dispose(extra);
    const before = torch.memoryStats().liveTensors;
    for (let i = 0; i < 30; ++i) {
      torch.saveCheckpoint(path, { model: r.model, optimizers: [r.opt], schedulers: [r.sched], extra: { step: i } });
      torch.loadCheckpoint(path, { model: r.model, optimizers: [r.opt], schedulers: [r.sched] });
    }
    assert.ok(torch.memoryStats().liveTensors <= before, `live tensors grew from ${before} to ${torch.memoryStats().liveTensors}`);
  });
});

describe('bad checkpoints are refused', () => {
  const good = join(dir, 'good.ckpt');
  torch.manualSeed(0);
  const model = new TinyNet();
  torch.saveCheckpoint(good, { model, extra: { step: 3 } });
  const expectRefused = (path: string, pattern: RegExp) =>
    assert.throws(
      () => torch.loadCheckpoint(path, { model }),
      (e: Error) => {
        assert.ok(e.message.includes(path), `the message names the file: ${e.message}`);
        assert.match(e.message, pattern);
        assert.match(e.message, /Delete or move/);
        return true;
      },
    );

  it('a truncated file', () => {
    const bytes = readFileSync(good);
    const path = join(dir, 'truncated.ckpt');
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expectRefused(path, /not a readable torch.save file/);
    writeFileSync(path, bytes.subarray(0, bytes.length - 30));
    expectRefused(path, /not a readable torch.save file/);
  });

  it('random bytes', () => {
    const path = join(dir, 'random.ckpt');
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; ++i) bytes[i] = (i * 2654435761) >>> 24;
    writeFileSync(path, bytes);
    expectRefused(path, /not a readable torch.save file/);
  });

  it('a JSON file', () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ model: { 'fc1.weight': [[1, 2]] }, step: 3 }));
    expectRefused(path, /not a readable torch.save file/);
  });

  it('a torch.save file that is not a checkpoint', () => {
    const path = join(dir, 'state-dict.pt');
    torch.save(model.stateDict(), path);
    expectRefused(path, /not a LoT checkpoint/);
  });

  it('a missing file', () => {
    expectRefused(join(dir, 'nope.ckpt'), /cannot read/);
  });

  it('a checkpoint without what is asked for', () => {
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    assert.throws(() => torch.loadCheckpoint(good, { optimizers: opt }), /has no optimizer states/);
    assert.equal(torch.loadCheckpoint(good, { model }).step, 3);
  });

  it('a failed save leaves the previous checkpoint intact', () => {
    const before = readFileSync(good);
    assert.throws(() => torch.saveCheckpoint(good, { model, extra: { bad: (() => 1) as any } }));
    assert.deepEqual(readFileSync(good), before);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.tmp')),
      [],
    );
    assert.equal(torch.loadCheckpoint(good, { model }).step, 3);
  });
});

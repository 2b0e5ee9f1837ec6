// torch.cuda and devices end to end. Everywhere: a machine without CUDA refuses CUDA requests
// with a clear Error (never a crash), leaves models as they were, and loads checkpoints that
// carry GPU state. Where CUDA is available (otherwise skipped with the reason): tensors, modules
// and optimizer state on the GPU, mixed-device errors, files written from CPU copies that load
// anywhere, loading onto the parameters' device, and the CUDA generators (seeding, states,
// checkpoints).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as torch from '../src/index.js';
import { nn, optim, type Tensor } from '../src/index.js';
import { assertClose, expectError, fixturesDir, useOneThread } from './helpers.js';

useOneThread();

const dir = mkdtempSync(join(tmpdir(), 'lot-cuda-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const available = torch.cuda.isAvailable();
/** Why the CUDA tests are skipped here (false where CUDA is available). */
const noCuda: string | false = available ? false : `no CUDA here: ${torch.cuda.unavailableReason()}`;
/** Why the tests of a machine without CUDA are skipped (where CUDA is available). */
const hasCuda: string | false = available ? 'CUDA is available here' : false;

const UNAVAILABLE = /CUDA is not available/;
const USE_CPU = /use device 'cpu'/;

const live = () => torch.memoryStats().liveTensors;

/** What Python's torch.save writes for tensors on a GPU (fixtures/make_cuda_fixture.py): w [2, 3], its row v, n. */
const savedOnCuda = join(fixturesDir, 'saved_on_cuda.pt');
type CudaFixture = { w: Tensor; v: Tensor; n: number };

/** A small model with a buffer (BatchNorm's running statistics) as well as parameters. */
function smallNet(seed = 0): nn.Sequential {
  torch.manualSeed(seed);
  return new nn.Sequential(new nn.Linear(4, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 3));
}

function trainSteps(model: nn.Sequential, opt: optim.Optimizer<any>, device: string, steps = 2): void {
  for (let i = 0; i < steps; ++i) {
    torch.tidy(() => {
      torch.manualSeed(100 + i);
      const x = torch.randn([16, 4]).to(device);
      const y = torch.randint(0, 3, [16]).to(device);
      opt.zeroGrad();
      nn.functional.crossEntropy(model.forward(x), y).backward();
      opt.step();
    });
  }
}

const stateDevices = (opt: optim.Optimizer<any>): string[] =>
  [...opt.state.values()].flatMap((s) =>
    Object.values(s)
      .filter((v): v is Tensor => typeof v !== 'number')
      .map((t) => t.device),
  );

describe('torch.cuda facts', () => {
  test('isAvailable, deviceCount and unavailableReason agree (and with cudaIsAvailable, buildInfo)', () => {
    assert.equal(typeof available, 'boolean');
    assert.equal(torch.cudaIsAvailable(), available);
    assert.equal(torch.buildInfo().cudaAvailable, available);
    if (available) {
      assert.ok(torch.cuda.deviceCount() >= 1);
      assert.equal(torch.cuda.unavailableReason(), null);
      assert.equal(torch.cuda.isBuilt(), true);
    } else {
      assert.equal(torch.cuda.deviceCount(), 0);
      assert.match(torch.cuda.unavailableReason() ?? '', UNAVAILABLE);
      assert.match(torch.cuda.unavailableReason() ?? '', USE_CPU);
    }
  });

  test('arguments are checked before anything reaches the GPU', () => {
    assert.throws(() => torch.cuda.synchronize('cpu'), TypeError);
    assert.throws(() => torch.cuda.getRngState('cuda:x'), TypeError);
    assert.throws(() => torch.cuda.synchronize(-1), RangeError);
    assert.throws(() => torch.cuda.manualSeed(-1), RangeError);
    assert.throws(() => torch.cuda.manualSeedAll(1.5), RangeError);
  });

  test("a file Python saved from a GPU loads with mapLocation: 'cpu' (views still share)", () => {
    const r = torch.load(savedOnCuda, { mapLocation: 'cpu' }) as CudaFixture;
    assert.equal(r.w.device, 'cpu');
    assert.deepEqual(r.w.tolist(), [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    assert.deepEqual(r.v.tolist(), [3, 4, 5]);
    assert.equal(r.n, 3);
    r.w.add_(10);
    assert.deepEqual(r.v.tolist(), [13, 14, 15]);
    torch.dispose(r);
    expectError(() => torch.load(savedOnCuda, { mapLocation: 'gpu' }), /mapLocation/);
  });

  test("to('cpu') of a CPU tensor is the tensor itself", () => {
    const t = torch.ones([2]);
    assert.equal(t.to('cpu'), t);
    assert.equal(t.to({ device: 'cpu' }), t);
    t.dispose();
  });
});

describe('without CUDA', { skip: hasCuda }, () => {
  test('every torch.cuda call that needs a GPU throws a clear Error', () => {
    const calls: [string, () => unknown][] = [
      ['synchronize', () => torch.cuda.synchronize()],
      ['synchronize(0)', () => torch.cuda.synchronize(0)],
      ['manualSeed', () => torch.cuda.manualSeed(1)],
      ['manualSeedAll', () => torch.cuda.manualSeedAll(1)],
      ['getRngState', () => torch.cuda.getRngState()],
      ['setRngState', () => torch.cuda.setRngState(torch.zeros([16], { dtype: 'uint8' }))],
      ['getRngStateAll', () => torch.cuda.getRngStateAll()],
      ['setRngStateAll', () => torch.cuda.setRngStateAll([])],
      ['currentDevice', () => torch.cuda.currentDevice()],
      ['setDevice', () => torch.cuda.setDevice(0)],
    ];
    for (const [name, fn] of calls) {
      const message = expectError(fn, UNAVAILABLE, USE_CPU);
      assert.ok(!message.includes('\n'), `${name}: one line, got ${message}`);
    }
  });

  test('a file Python saved from a GPU loads onto the CPU by default; mapping it to CUDA is a clear Error', () => {
    const r = torch.load(savedOnCuda) as CudaFixture;
    assert.equal(r.w.device, 'cpu');
    assert.equal(r.v.device, 'cpu');
    assert.deepEqual(r.v.tolist(), [3, 4, 5]);
    torch.dispose(r);
    expectError(() => torch.load(savedOnCuda, { mapLocation: 'cuda' }), UNAVAILABLE, USE_CPU);
  });

  test("creating or moving tensors to 'cuda' is a clear Error, and nothing leaks", () => {
    const before = live();
    const t = torch.ones([2, 3]);
    expectError(() => torch.zeros([2], { device: 'cuda' }), UNAVAILABLE, USE_CPU);
    expectError(() => torch.randn([2], { device: 'cuda:0' }), UNAVAILABLE);
    expectError(() => torch.tensor([1, 2, 3], { device: 'cuda' }), UNAVAILABLE);
    expectError(() => torch.zerosLike(t, { device: 'cuda' }), UNAVAILABLE);
    expectError(() => t.to('cuda'), UNAVAILABLE, USE_CPU);
    expectError(() => t.to({ device: 'cuda:1' }), UNAVAILABLE);
    expectError(() => t.to({ device: 'cuda', dtype: 'float64' }), UNAVAILABLE);
    assert.deepEqual(t.tolist(), [
      [1, 1, 1],
      [1, 1, 1],
    ]);
    t.dispose();
    assert.ok(live() <= before, `live tensors grew from ${before} to ${live()}`); // fewer if the GC freed earlier ones
  });

  test("Module.to('cuda') is a clear Error and leaves the model on the CPU, usable", () => {
    const model = smallNet();
    const before = model.stateDict();
    const values = Object.fromEntries(Object.entries(before).map(([k, v]) => [k, v.tolist()]));
    expectError(() => model.to('cuda'), UNAVAILABLE, USE_CPU);
    for (const [k, v] of Object.entries(model.stateDict())) {
      assert.equal(v.device, 'cpu', k);
      assert.deepEqual(v.tolist(), values[k], k);
    }
    const out = torch.tidy(() => model.forward(torch.randn([5, 4])).shape);
    assert.deepEqual(out, [5, 3]);
    model.dispose();
  });

  test('checkpoints hold no GPU state here, and one that does (saved on a GPU) still loads', () => {
    const model = smallNet(1);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    trainSteps(model, opt, 'cpu');
    const path = join(dir, 'cpu.ckpt');
    torch.saveCheckpoint(path, { model, optimizers: opt, extra: { step: 2 } });
    const record = torch.load(path) as Record<string, unknown>;
    assert.equal('cuda_rng' in record, false);
    torch.dispose(record);

    // A checkpoint as a GPU machine writes it: the same record plus the GPUs' generator states.
    const gpuRecord = torch.load(path) as Record<string, torch.Saveable>;
    gpuRecord.cuda_rng = [torch.zeros([16], { dtype: 'uint8' }), torch.ones([16], { dtype: 'uint8' })];
    const gpuPath = join(dir, 'from-gpu.ckpt');
    torch.save(gpuRecord, gpuPath);
    torch.dispose(gpuRecord);

    const fresh = smallNet(2);
    const freshOpt = new optim.SGD(fresh.parameters(), { lr: 0.1, momentum: 0.9 });
    const extra = torch.loadCheckpoint(gpuPath, { model: fresh, optimizers: freshOpt });
    assert.equal(extra.step, 2);
    const a = model.stateDict();
    const b = fresh.stateDict();
    for (const k of Object.keys(a)) assert.deepEqual(b[k].tolist(), a[k].tolist(), k);
    model.dispose();
    fresh.dispose();
    opt.dispose();
    freshOpt.dispose();
  });
});

describe('on CUDA', { skip: noCuda }, () => {
  const dev = () => `cuda:${torch.cuda.currentDevice()}`;

  test('tensors move to the GPU and back; a tensor already there is returned as is', () => {
    const cpu = torch.arange(0, 6, 1, { dtype: 'float32' }).reshape([2, 3]);
    const g = cpu.to('cuda');
    assert.equal(g.device, dev());
    assert.equal(g.to('cuda'), g);
    assert.equal(g.to(dev()), g);
    assert.equal(g.to({ device: 'cuda' }), g);
    const g64 = g.to({ device: 'cuda', dtype: 'float64' });
    assert.equal(g64.device, dev());
    assert.equal(g64.dtype, 'float64');
    const back = g.mul(2).to('cpu');
    assert.equal(back.device, 'cpu');
    assert.deepEqual(back.tolist(), [
      [0, 2, 4],
      [6, 8, 10],
    ]);
    assert.deepEqual(g.tolist(), cpu.tolist()); // data() copies to the CPU
    assert.match(g.toString(), /device='cuda:\d+'/);
    for (const t of [cpu, g, g64, back]) t.dispose();
  });

  test('creation functions take a device', () => {
    torch.tidy(() => {
      assert.equal(torch.zeros([2], { device: 'cuda' }).device, dev());
      assert.equal(torch.randn([2, 2], { device: 'cuda' }).device, dev());
      assert.equal(torch.tensor([1, 2], { device: 'cuda' }).device, dev());
      const z = torch.zerosLike(torch.ones([3], { device: 'cuda' }));
      assert.equal(z.device, dev());
      const p = torch.ones([3], { device: 'cuda', requiresGrad: true });
      assert.ok(p.isLeaf && p.requiresGrad);
    });
  });

  test('an op mixing devices is libtorch’s Error naming both devices', () => {
    torch.tidy(() => {
      const a = torch.ones([2, 2]);
      const b = torch.ones([2, 2], { device: 'cuda' });
      expectError(() => a.add(b), /cuda:\d/, /cpu/);
      expectError(() => b.matmul(a), /cuda:\d/, /cpu/);
    });
  });

  test('a GPU that does not exist is a clear Error', () => {
    const missing = `cuda:${torch.cuda.deviceCount()}`;
    expectError(() => torch.zeros([1], { device: missing }), /does not exist/, /visible/);
    expectError(() => torch.cuda.synchronize(missing), /does not exist/);
    torch.cuda.synchronize();
    torch.cuda.synchronize('cuda');
    torch.cuda.synchronize(0);
    expectError(() => torch.cuda.setDevice(missing), /does not exist/);
  });

  test("setDevice makes 'cuda' mean that GPU", () => {
    const last = torch.cuda.deviceCount() - 1;
    const before = torch.cuda.currentDevice();
    try {
      torch.cuda.setDevice(last);
      assert.equal(torch.cuda.currentDevice(), last);
      const t = torch.zeros([2], { device: 'cuda' });
      assert.equal(t.device, `cuda:${last}`);
      assert.equal(t.to('cuda'), t);
      t.dispose();
    } finally {
      torch.cuda.setDevice(before);
    }
  });

  test("Module.to('cuda') moves parameters, gradients and buffers; training and optimizers run there", () => {
    const model = smallNet();
    const reference = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, v.tolist()]));
    model.to('cuda');
    for (const [k, v] of Object.entries(model.stateDict())) {
      assert.equal(v.device, dev(), k);
      assert.deepEqual(v.tolist(), reference[k], k);
    }
    for (const p of model.parameters()) assert.ok(p.isLeaf && p.requiresGrad);
    const params = model.parameters();
    model.to('cuda'); // already there: nothing changes
    assert.ok(model.parameters().every((p, i) => p === params[i]));
    for (const make of [
      () => new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }),
      () => new optim.Adam(model.parameters(), { lr: 1e-3 }),
      () => new optim.AdamW(model.parameters(), { lr: 1e-3 }),
      () => new optim.RMSprop(model.parameters(), { lr: 1e-3, momentum: 0.9 }),
    ]) {
      const opt = make();
      trainSteps(model, opt, 'cuda');
      for (const d of stateDevices(opt)) assert.equal(d, dev());
      for (const p of model.parameters()) assert.equal(p.grad?.device, dev());
      opt.dispose();
    }
    model.to('cpu');
    for (const v of Object.values(model.stateDict())) assert.equal(v.device, 'cpu');
    model.dispose();
  });

  test('torch.save writes CPU copies (sharing kept): the file loads as CPU tensors', () => {
    const g = torch.arange(0, 8, 1, { dtype: 'float32', device: 'cuda' });
    const view = g.slice(0, 2, 6);
    const path = join(dir, 'gpu-tensors.pt');
    const doubled = g.mul(2);
    torch.save({ whole: g, view, nested: [doubled], n: 3 }, path);
    assert.equal(g.device, dev()); // the originals stay where they were
    const loaded = torch.load(path) as { whole: Tensor; view: Tensor; nested: Tensor[]; n: number };
    assert.equal(loaded.whole.device, 'cpu');
    assert.equal(loaded.view.device, 'cpu');
    assert.equal(loaded.nested[0].device, 'cpu');
    assert.deepEqual(loaded.whole.tolist(), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(loaded.view.tolist(), [2, 3, 4, 5]);
    assert.deepEqual(loaded.nested[0].tolist(), [0, 2, 4, 6, 8, 10, 12, 14]);
    assert.equal(loaded.n, 3);
    loaded.whole.add_(100); // the view shares the whole tensor's storage in the file too
    assert.deepEqual(loaded.view.tolist(), [102, 103, 104, 105]);
    torch.dispose([g, view, doubled, loaded]);
  });

  test('a file Python saved from a GPU loads onto it by default, elsewhere with mapLocation', () => {
    const onGpu = torch.load(savedOnCuda) as CudaFixture;
    assert.equal(onGpu.w.device, 'cuda:0');
    assert.equal(onGpu.v.device, 'cuda:0');
    assert.deepEqual(onGpu.v.tolist(), [3, 4, 5]);
    const mapped = torch.load(savedOnCuda, { mapLocation: 'cpu' }) as CudaFixture;
    assert.equal(mapped.w.device, 'cpu');
    const current = torch.load(savedOnCuda, { mapLocation: 'cuda' }) as CudaFixture;
    assert.equal(current.w.device, dev());
    current.w.add_(1); // one storage on the GPU too
    assert.deepEqual(current.v.tolist(), [4, 5, 6]);
    torch.dispose([onGpu, mapped, current]);
    expectError(() => torch.load(savedOnCuda, { mapLocation: `cuda:${torch.cuda.deviceCount()}` }), /does not exist/);
  });

  test('checkpoints from a GPU load on the CPU and on the GPU; state goes to each parameter’s device', () => {
    const model = smallNet(3).to('cuda');
    const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
    trainSteps(model, opt, 'cuda', 3);
    const path = join(dir, 'gpu.ckpt');
    torch.saveCheckpoint(path, { model, optimizers: opt, extra: { step: 3 } });
    const saved = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, v.tolist()]));
    const savedState = [...opt.state.values()].map((s) => (s.expAvg as Tensor).tolist());

    for (const device of ['cpu', 'cuda']) {
      const fresh = smallNet(4).to(device);
      const freshOpt = new optim.Adam(fresh.parameters(), { lr: 1e-2 });
      const extra = torch.loadCheckpoint(path, { model: fresh, optimizers: freshOpt });
      assert.equal(extra.step, 3);
      const where = device === 'cpu' ? 'cpu' : dev();
      for (const [k, v] of Object.entries(fresh.stateDict())) {
        assert.equal(v.device, where, `${device}: ${k}`);
        assertClose(v, saved[k] as number[], 0, 0, `${device}: ${k}`);
      }
      for (const d of stateDevices(freshOpt)) assert.equal(d, where);
      [...freshOpt.state.values()].forEach((s, i) => assertClose(s.expAvg as Tensor, savedState[i] as number[], 0, 0, 'expAvg'));
      trainSteps(fresh, freshOpt, device, 1); // and training continues there
      fresh.dispose();
      freshOpt.dispose();
    }
    // The file holds only CPU tensors.
    const record = torch.load(path) as Record<string, torch.Saveable>;
    const devices: string[] = [];
    const walk = (v: torch.Saveable): void => {
      if (v instanceof torch.Tensor) devices.push(v.device);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(record);
    assert.ok(devices.length > 0);
    assert.deepEqual([...new Set(devices)], ['cpu']);
    torch.dispose(record);
    model.dispose();
    opt.dispose();
  });

  test('loadStateDict copies CPU tensors onto the GPU parameters (identity kept)', () => {
    const model = smallNet(5).to('cuda');
    const params = model.parameters();
    const cpuModel = smallNet(6);
    model.loadStateDict(cpuModel.stateDict());
    assert.ok(model.parameters().every((p, i) => p === params[i]));
    const a = cpuModel.stateDict();
    for (const [k, v] of Object.entries(model.stateDict())) {
      assert.equal(v.device, dev(), k);
      assert.deepEqual(v.tolist(), a[k].tolist(), k);
    }
    model.dispose();
    cpuModel.dispose();
  });

  test('torch.manualSeed seeds the GPUs too; cuda.manualSeed / manualSeedAll / RNG states reproduce draws', () => {
    const draw = () => torch.tidy(() => torch.randn([8], { device: 'cuda' }).tolist() as number[]);
    torch.manualSeed(7);
    const a = draw();
    torch.manualSeed(7);
    assert.deepEqual(draw(), a);
    torch.cuda.manualSeed(7);
    assert.deepEqual(draw(), a);
    torch.cuda.manualSeedAll(7);
    assert.deepEqual(draw(), a);
    torch.cuda.manualSeed(8);
    assert.notDeepEqual(draw(), a);

    const state = torch.cuda.getRngState();
    assert.equal(state.device, 'cpu');
    assert.equal(state.dtype, 'uint8');
    const next = draw();
    torch.cuda.setRngState(state);
    assert.deepEqual(draw(), next);
    const all = torch.cuda.getRngStateAll();
    assert.equal(all.length, torch.cuda.deviceCount());
    const after = draw();
    torch.cuda.setRngStateAll(all);
    assert.deepEqual(draw(), after);
    expectError(() => torch.cuda.setRngState(torch.zeros([16])), /uint8/);
    torch.dispose([state, ...all]);
  });

  test('checkpoints save and restore the GPU generators', () => {
    const model = smallNet(9).to('cuda');
    const path = join(dir, 'rng.ckpt');
    torch.manualSeed(11);
    torch.saveCheckpoint(path, { model });
    const record = torch.load(path) as Record<string, torch.Saveable>;
    assert.ok(Array.isArray(record.cuda_rng) && record.cuda_rng.length === torch.cuda.deviceCount());
    torch.dispose(record);
    const draw = () => torch.tidy(() => torch.randn([8], { device: 'cuda' }).tolist() as number[]);
    const expected = draw();
    torch.loadCheckpoint(path, { model });
    assert.deepEqual(draw(), expected);
    torch.cuda.manualSeed(12);
    torch.loadCheckpoint(path, { model, rng: false });
    assert.notDeepEqual(draw(), expected);
    model.dispose();
  });
});

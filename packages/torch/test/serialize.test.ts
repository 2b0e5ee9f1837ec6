// Saving and loading records: round trips, atomic writes, refusal of broken
// files, and compatibility with Python's torch.save / torch.load both ways
// (fixtures made by fixtures/make_fixtures.py and fixtures/make-ts-fixture.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as torch from '../src/index.js';
import type { Saveable, Tensor } from '../src/index.js';
import { expectError, fixturesDir, useOneThread } from './helpers.js';
import { tsRecord } from './fixtures/ts-record.js';

useOneThread();
const dir = mkdtempSync(join(tmpdir(), 'lot-serialize-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Rec = { [key: string]: Saveable };
const asTensor = (v: Saveable): Tensor => {
  assert.ok(v instanceof torch.Tensor, `expected a Tensor, got ${typeof v}`);
  return v;
};
function assertSameTensor(actual: Saveable, expected: Tensor, what: string): void {
  const t = asTensor(actual);
  assert.equal(t.dtype, expected.dtype, `${what} dtype`);
  assert.deepEqual(t.shape, expected.shape, `${what} shape`);
  assert.deepEqual(t.tolist(), expected.tolist(), `${what} values`);
}

describe('save / load round trip', () => {
  test('a nested record of tensors of several dtypes, numbers, strings, booleans, null, arrays and objects', () => {
    const record = tsRecord();
    const path = join(dir, 'round.pt');
    torch.save(record, path);
    const loaded = torch.load(path) as Rec;
    assert.deepEqual(Object.keys(loaded), Object.keys(record));
    const sd = loaded.state_dict as Rec;
    const expectedSd = record.state_dict as Rec;
    assert.deepEqual(Object.keys(sd), ['layer.weight', 'layer.bias', 'bn.num_batches_tracked']);
    for (const k of Object.keys(expectedSd)) assertSameTensor(sd[k], expectedSd[k] as Tensor, k);
    for (const k of ['float64', 'int64', 'int32', 'uint8', 'bool', 'float16', 'bfloat16', 'transposed']) {
      assertSameTensor(loaded[k], record[k] as Tensor, k);
    }
    assert.equal(asTensor(loaded.int64).index(0).item(), -(2 ** 40));
    assert.equal(asTensor(loaded.float64).index(1, 0).item(), 1e-300);
    assert.equal(loaded.epoch, 7);
    assert.equal(loaded.lr, 0.125);
    assert.equal(loaded.name, 'fashion-mnist');
    assert.deepEqual(loaded.list, [1, 2.5, 'a', null, true]);
    const deeper = ((loaded.nested as Rec).deep as Rec).deeper as Saveable[];
    assert.deepEqual(asTensor(deeper[0]).tolist(), [9]);
    assert.deepEqual(deeper[1], { x: -1 });
    torch.dispose([record, loaded]);
  });

  test('serialize / deserialize in memory; loaded tensors are independent copies', () => {
    const t = torch.tensor([1, 2, 3]);
    const bytes = torch.serialize({ t, empty: torch.zeros([0, 2]), scalar: torch.tensor(2.5) });
    assert.ok(Buffer.isBuffer(bytes));
    const back = torch.deserialize(bytes) as Rec;
    asTensor(back.t).add_(10);
    assert.deepEqual(t.tolist(), [1, 2, 3]);
    assert.deepEqual(asTensor(back.t).tolist(), [11, 12, 13]);
    assert.deepEqual(asTensor(back.empty).shape, [0, 2]);
    assert.deepEqual(asTensor(back.scalar).shape, []);
    assert.equal(asTensor(back.scalar).item(), 2.5);
    // requires_grad is kept, as torch.save does; a slice comes back with its own shape and values.
    const w = torch.randn([2]).requiresGrad_();
    const again = torch.deserialize(torch.serialize({ w, part: torch.arange(10).slice(0, 2, 4) })) as Rec;
    assert.equal(asTensor(again.w).requiresGrad, true);
    assert.deepEqual(asTensor(again.w).tolist(), w.tolist());
    assert.deepEqual(asTensor(again.part).tolist(), [2, 3]);
    // Top-level values other than objects work too.
    assert.deepEqual(asTensor(torch.deserialize(torch.serialize(torch.arange(3)))).tolist(), [0, 1, 2]);
    assert.deepEqual(torch.deserialize(torch.serialize([1, 'two', null])), [1, 'two', null]);
  });

  test('values a record cannot hold are refused with an Error', () => {
    expectError(() => torch.serialize({ f: (() => 1) as unknown as Saveable }), /cannot store a function in a record/);
  });
});

describe('atomic writes', () => {
  test('no temporary file is left behind after a save', () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    torch.save({ a: torch.ones([3]) }, join(sub, 'ckpt.pt'));
    torch.save({ a: torch.zeros([3]) }, join(sub, 'ckpt.pt')); // overwrite
    assert.deepEqual(readdirSync(sub), ['ckpt.pt']);
    assert.deepEqual(asTensor((torch.load(join(sub, 'ckpt.pt')) as Rec).a).tolist(), [0, 0, 0]);
  });

  test('an existing file is untouched when serialization throws, and no temporary file remains', () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const path = join(sub, 'ckpt.pt');
    torch.save({ epoch: 1, w: torch.full([2], 4) }, path);
    const before = readFileSync(path);
    const disposed = torch.ones([2]);
    disposed.dispose();
    expectError(() => torch.save({ epoch: 2, w: disposed }, path), /disposed/);
    expectError(() => torch.save({ epoch: 2, bad: Symbol('x') as unknown as Saveable }, path), /cannot store/);
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(readdirSync(sub), ['ckpt.pt']);
    const loaded = torch.load(path) as Rec;
    assert.equal(loaded.epoch, 1);
  });

  test('a save into a missing folder fails cleanly', () => {
    expectError(() => torch.save({ a: 1 }, join(dir, 'no-such-folder', 'x.pt')), /ENOENT/);
  });
});

describe('broken files are refused with an Error naming the file', () => {
  const good = () => torch.serialize({ w: torch.randn([64]), n: 3 });

  test('a truncated file', () => {
    const bytes = good();
    for (const keep of [bytes.length - 1, Math.floor(bytes.length / 2), 100, 10, 0]) {
      const path = join(dir, `truncated-${keep}.pt`);
      writeFileSync(path, bytes.subarray(0, keep));
      expectError(() => torch.load(path), new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a readable torch.save file`));
    }
  });

  test('garbage and other formats', () => {
    const garbage = join(dir, 'garbage.pt');
    writeFileSync(garbage, Buffer.from('this is not a checkpoint at all, just text\n'.repeat(20)));
    expectError(() => torch.load(garbage), /garbage\.pt is not a readable torch\.save file/);
    const random = join(dir, 'random.pt');
    writeFileSync(random, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    expectError(() => torch.load(random), /random\.pt is not a readable torch\.save file/);
    // A zip whose pickle program was damaged (after PROTO 2, which follows the data.pkl entry's header).
    const bytes = Buffer.from(good());
    const program = bytes.indexOf(Buffer.from([0x80, 0x02]), bytes.indexOf('data.pkl'));
    assert.ok(program > 0);
    for (let i = program + 2; i < program + 12; ++i) bytes[i] = 0xff;
    const damaged = join(dir, 'damaged.pt');
    writeFileSync(damaged, bytes);
    expectError(() => torch.load(damaged), /damaged\.pt is not a readable torch\.save file/);
  });

  test('a missing file', () => {
    expectError(() => torch.load(join(dir, 'absent.pt')), /cannot read .*absent\.pt/);
  });

  test('the engine keeps working after refusing files', () => {
    assert.deepEqual(asTensor((torch.deserialize(good()) as Rec).w).shape, [64]);
  });
});

describe('compatibility with Python torch', () => {
  test('loads python_made.pt written by torch.save (state_dict OrderedDict with _metadata, views, dtypes)', () => {
    const r = torch.load(join(fixturesDir, 'python_made.pt')) as Rec;
    const sd = r.state_dict as Rec;
    assert.deepEqual(Object.keys(sd), [
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
    ]);
    assertSameTensor(sd['0.weight'], torch.arange(6, undefined, 1, { dtype: 'float32' }).reshape(2, 3).div(8), '0.weight');
    assertSameTensor(sd['0.bias'], torch.tensor([0.25, -0.75]), '0.bias');
    assertSameTensor(sd['1.weight'], torch.ones([2]), '1.weight');
    assertSameTensor(sd['1.running_mean'], torch.tensor([0.5, 1.5]), '1.running_mean');
    assertSameTensor(sd['1.num_batches_tracked'], torch.tensor(11, { dtype: 'int64' }), 'num_batches_tracked');
    assert.deepEqual(r.optimizer_like, { step: 3, lrs: [0.1, 0.01] });
    const f64 = asTensor(r.float64);
    assert.equal(f64.dtype, 'float64');
    assert.deepEqual(f64.tolist(), [
      [Math.PI, -1e-300],
      [1e300, 0.5],
    ]);
    assertSameTensor(r.int64, torch.tensor(new BigInt64Array([-(2n ** 40n), 7n, 2n ** 40n])), 'int64');
    assertSameTensor(r.int32, torch.tensor([1, -2], { dtype: 'int32' }), 'int32');
    assertSameTensor(r.uint8, torch.tensor([0, 200, 255], { dtype: 'uint8' }), 'uint8');
    assertSameTensor(r.bool, torch.tensor([true, false]), 'bool');
    assertSameTensor(r.float16, torch.tensor([1.5, -0.099975586], { dtype: 'float16' }), 'float16');
    assertSameTensor(r.bfloat16, torch.tensor([2.5, -0.5], { dtype: 'bfloat16' }), 'bfloat16');
    assertSameTensor(r.scalar, torch.tensor(4.25), 'scalar');
    assertSameTensor(
      r.transposed,
      torch.tensor([
        [0, 3],
        [1, 4],
        [2, 5],
      ]),
      'transposed',
    );
    assert.deepEqual(asTensor(r.transposed).stride(), [1, 3]); // the view's layout is kept
    assertSameTensor(r.view_a, torch.tensor([2, 3, 4]), 'view_a');
    assertSameTensor(r.view_b, torch.tensor([1, 5, 9]), 'view_b');
    assert.equal(r.epoch, 12);
    assert.equal(r.lr, 0.003);
    assert.equal(r.name, 'resnet20');
    assert.deepEqual(r.items, [1, 2.5, 'x', null, true, [3, 4]]);
  });

  test('ts_made.pt (checked by make_fixtures.py in Python) still loads here with the values Python checked', () => {
    const loaded = torch.load(join(fixturesDir, 'ts_made.pt')) as Rec;
    const expected = tsRecord();
    for (const k of ['float64', 'int64', 'int32', 'uint8', 'bool', 'float16', 'bfloat16', 'transposed']) {
      assertSameTensor(loaded[k], expected[k] as Tensor, k);
    }
    assert.deepEqual(loaded.list, expected.list);
  });

  test('our files carry no TorchScript type tags (weights_only=True in Python refuses them)', () => {
    const bytes = torch.serialize({ a: [1, 2], b: { c: torch.ones([1]) } });
    assert.equal(bytes.includes('restore_type_tag'), false);
    assert.equal(bytes.includes('torch.jit'), false);
    assert.ok(existsSync(join(fixturesDir, 'make_fixtures.py')));
  });
});

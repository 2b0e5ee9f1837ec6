// Creation, dtypes, views, indexing, reductions, linear algebra, printing and
// generic operator access behave as PyTorch does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { assertClose, useOneThread } from './helpers.js';

useOneThread();

const long = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'int64' });
const range = (n: number, shape: number[]) => torch.arange(n, undefined, 1, { dtype: 'float32' }).reshape(shape);

describe('creation', () => {
  test('tensor() from nested arrays: shape, float32 default, bool, explicit dtype', () => {
    const t = torch.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.tolist(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = torch.tensor([true, false]);
    assert.equal(b.dtype, 'bool');
    assert.deepEqual(b.tolist(), [true, false]);
    const i = torch.tensor([[1, -2]], { dtype: 'int64' });
    assert.equal(i.dtype, 'int64');
    assert.deepEqual(i.tolist(), [[1, -2]]);
    assert.deepEqual(torch.tensor(2.5).shape, []);
    assert.equal(torch.tensor(2.5).item(), 2.5);
    assert.deepEqual(torch.tensor([]).shape, [0]);
    assert.deepEqual(torch.tensor([[], []]).shape, [2, 0]);
    assert.equal(torch.tensor([0.1], { dtype: 'float64' }).item(), 0.1); // float64 keeps every bit
  });

  test('tensor() from TypedArrays keeps their element type; Buffers are uint8; frombuffer reinterprets', () => {
    assert.equal(torch.tensor(new Float64Array([1, 2])).dtype, 'float64');
    assert.equal(torch.tensor(new Int32Array([1, 2])).dtype, 'int32');
    assert.equal(torch.tensor(new Int16Array([1, 2])).dtype, 'int16');
    assert.equal(torch.tensor(new Int8Array([-1, 2])).dtype, 'int8');
    const big = torch.tensor(new BigInt64Array([1n, -(2n ** 40n)]));
    assert.equal(big.dtype, 'int64');
    assert.deepEqual(big.tolist(), [1, -(2 ** 40)]);
    assert.deepEqual(Array.from(big.data() as BigInt64Array), [1n, -(2n ** 40n)]);
    const fromBuffer = torch.tensor(Buffer.from([1, 2, 255]));
    assert.equal(fromBuffer.dtype, 'uint8');
    assert.deepEqual(fromBuffer.tolist(), [1, 2, 255]);
    const shaped = torch.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    assert.deepEqual(shaped.tolist(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const converted = torch.tensor(new Float32Array([1.5, 2.5]), { dtype: 'float64' });
    assert.equal(converted.dtype, 'float64');
    // A subarray view: only its own bytes are copied.
    const backing = new Float32Array([9, 1, 2, 9]);
    assert.deepEqual(torch.tensor(backing.subarray(1, 3)).tolist(), [1, 2]);
    const raw = Buffer.from(new Float32Array([0.5, -1]).buffer);
    assert.deepEqual(torch.frombuffer(raw, { dtype: 'float32' }).tolist(), [0.5, -1]);
    // A copy: changing the source later does not change the tensor.
    const src = new Float32Array([1, 2]);
    const copy = torch.tensor(src);
    src[0] = 100;
    assert.deepEqual(copy.tolist(), [1, 2]);
  });

  test('zeros, ones, full, empty, eye', () => {
    assert.deepEqual(torch.zeros([2, 2]).tolist(), [
      [0, 0],
      [0, 0],
    ]);
    assert.deepEqual(torch.ones(3, { dtype: 'int32' }).tolist(), [1, 1, 1]);
    assert.equal(torch.ones(3, { dtype: 'int32' }).dtype, 'int32');
    const f = torch.full([2], 7.5);
    assert.equal(f.dtype, 'float32');
    assert.deepEqual(f.tolist(), [7.5, 7.5]);
    assert.equal(torch.full([1], true).dtype, 'bool');
    assert.deepEqual(torch.empty([4, 0]).shape, [4, 0]);
    assert.deepEqual(torch.eye(2, 3).tolist(), [
      [1, 0, 0],
      [0, 1, 0],
    ]);
    assert.deepEqual(torch.eye(2).tolist(), [
      [1, 0],
      [0, 1],
    ]);
    assert.equal(torch.zeros([1], { requiresGrad: true }).requiresGrad, true);
  });

  test('arange and linspace infer dtypes as PyTorch', () => {
    const a = torch.arange(5);
    assert.equal(a.dtype, 'int64');
    assert.deepEqual(a.tolist(), [0, 1, 2, 3, 4]);
    assert.deepEqual(torch.arange(2, 11, 3).tolist(), [2, 5, 8]);
    const b = torch.arange(0, 1, 0.25);
    assert.equal(b.dtype, 'float32');
    assert.deepEqual(b.tolist(), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(torch.arange(5, 0, -2).tolist(), [5, 3, 1]);
    const l = torch.linspace(0, 1, 5);
    assert.equal(l.dtype, 'float32');
    assert.deepEqual(l.tolist(), [0, 0.25, 0.5, 0.75, 1]);
    assert.equal(torch.linspace(-1, 1, 3, { dtype: 'float64' }).dtype, 'float64');
  });

  test('rand, randn, randint, randperm: ranges, dtypes and statistics', () => {
    torch.manualSeed(3);
    const u = torch.rand([10000]);
    assert.ok(u.min().item() >= 0 && u.max().item() < 1);
    assert.ok(Math.abs(u.mean().item() - 0.5) < 0.02);
    const n = torch.randn([10000], { dtype: 'float64' });
    assert.equal(n.dtype, 'float64');
    assert.ok(Math.abs(n.mean().item()) < 0.05);
    assert.ok(Math.abs(n.std().item() - 1) < 0.05);
    const r = torch.randint(-3, 4, [2000]);
    assert.equal(r.dtype, 'int64');
    assert.equal(r.min().item(), -3);
    assert.equal(r.max().item(), 3);
    const p = torch.randperm(50);
    assert.equal(p.dtype, 'int64');
    assert.deepEqual(p.sort().values.tolist() as number[], [...Array(50).keys()]);
    assert.throws(() => torch.randint(3, 3, [1]), RangeError);
  });

  test('*Like creators copy shape and dtype (or take a new dtype)', () => {
    const base = torch.ones([2, 3], { dtype: 'float64' });
    for (const t of [
      torch.zerosLike(base),
      torch.onesLike(base),
      torch.emptyLike(base),
      torch.fullLike(base, 2),
      torch.randLike(base),
      torch.randnLike(base),
    ]) {
      assert.deepEqual(t.shape, [2, 3]);
      assert.equal(t.dtype, 'float64');
    }
    assert.deepEqual(torch.fullLike(base, 2).tolist(), [
      [2, 2, 2],
      [2, 2, 2],
    ]);
    assert.equal(torch.zerosLike(base, { dtype: 'int32' }).dtype, 'int32');
    const ri = torch.randintLike(base, 0, 2);
    assert.equal(ri.dtype, 'float64');
    assert.ok(ri.eq(0).logicalOr(ri.eq(1)).all().item() === 1);
  });
});

describe('dtypes', () => {
  test('float16 and bfloat16 round trips round as IEEE half and bfloat16 do', () => {
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: an arbitrary value with many bits, not π
    const values = [1.5, -2.25, 65504, 1 + 2 ** -11, 1 + 2 ** -10, 65520, 3.14159];
    const x = torch.tensor(values, { dtype: 'float64' });
    const half = x.to('float16');
    assert.equal(half.dtype, 'float16');
    assert.ok(half.data() instanceof Float32Array);
    // Python: x.half().float().tolist()
    assert.deepEqual(half.to('float32').tolist(), [1.5, -2.25, 65504, 1, 1.0009765625, Infinity, 3.140625]);
    const bf = x.to('bfloat16');
    assert.equal(bf.dtype, 'bfloat16');
    assert.deepEqual(bf.tolist(), [1.5, -2.25, 65536, 1, 1, 65536, 3.140625]);
    // Values that are exact in half precision survive a round trip unchanged.
    const exact = torch.tensor([0.5, -1024, 0.099609375]);
    assert.deepEqual(exact.to('float16').to('float32').tolist(), exact.tolist());
    assert.deepEqual(exact.to('bfloat16').to('float32').tolist(), exact.tolist());
  });

  test('conversions between every dtype keep values; float to int truncates toward zero', () => {
    const dtypes: torch.DType[] = ['uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'float32', 'float64', 'bfloat16'];
    for (const d of dtypes) {
      const t = torch.tensor([0, 1, 2, 100], { dtype: d });
      assert.equal(t.dtype, d);
      assert.deepEqual(t.tolist(), [0, 1, 2, 100], d);
      assert.deepEqual(t.to('float64').tolist(), [0, 1, 2, 100], d);
    }
    assert.deepEqual(torch.tensor([-1.7, 1.7, 2.5]).to('int32').tolist(), [-1, 1, 2]);
    assert.deepEqual(torch.tensor([0, 2, -1]).bool().tolist(), [false, true, true]);
    assert.equal(torch.tensor([1]).double().dtype, 'float64');
    assert.equal(torch.tensor([1]).long().dtype, 'int64');
    assert.equal(torch.tensor([1]).int().dtype, 'int32');
    assert.equal(torch.tensor([1], { dtype: 'int32' }).float().dtype, 'float32');
  });

  test('to() returns the same tensor when nothing changes, as PyTorch', () => {
    const x = torch.ones([2]);
    assert.equal(x.to('float32'), x);
    assert.equal(x.to('cpu'), x);
    assert.notEqual(x.to('float64'), x);
  });

  test('type promotion follows PyTorch', () => {
    assert.equal(torch.ones([1], { dtype: 'int64' }).add(torch.ones([1])).dtype, 'float32');
    assert.equal(torch.ones([1], { dtype: 'int64' }).add(1.5).dtype, 'float32');
    assert.equal(torch.ones([1], { dtype: 'int32' }).add(torch.ones([1], { dtype: 'int64' })).dtype, 'int64');
    assert.equal(torch.ones([1]).add(torch.ones([1], { dtype: 'float64' })).dtype, 'float64');
    assert.equal(torch.ones([1], { dtype: 'int64' }).div(2).dtype, 'float32'); // true division
  });
});

describe('views and shapes', () => {
  test('reshape and view share storage with their base', () => {
    const x = range(6, [2, 3]);
    const v = x.view(6);
    v.add_(10);
    assert.deepEqual(x.tolist(), [
      [10, 11, 12],
      [13, 14, 15],
    ]);
    assert.deepEqual(x.reshape(3, -1).shape, [3, 2]);
    assert.deepEqual(x.reshape([-1]).shape, [6]);
  });

  test('permute and transpose change strides, not data; contiguous copies', () => {
    const x = range(24, [2, 3, 4]);
    const p = x.permute(2, 0, 1);
    assert.deepEqual(p.shape, [4, 2, 3]);
    assert.deepEqual(p.stride(), [1, 12, 4]);
    assert.equal(p.isContiguous(), false);
    assert.equal(p.contiguous().isContiguous(), true);
    assert.deepEqual(p.index(1, 1).tolist(), [13, 17, 21]);
    const t = range(6, [2, 3]).t();
    assert.deepEqual(t.tolist(), [
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    assert.deepEqual(range(6, [2, 3]).transpose(0, 1).tolist(), t.tolist());
    assert.deepEqual(range(6, [1, 2, 3]).transpose(-1, 0).shape, [3, 2, 1]);
  });

  test('squeeze, unsqueeze, expand, flatten, unflatten', () => {
    const x = torch.zeros([1, 3, 1, 2]);
    assert.deepEqual(x.squeeze().shape, [3, 2]);
    assert.deepEqual(x.squeeze(2).shape, [1, 3, 2]);
    assert.deepEqual(x.squeeze([0, 2]).shape, [3, 2]);
    assert.deepEqual(x.squeeze(1).shape, [1, 3, 1, 2]); // size 3: unchanged, as PyTorch
    assert.deepEqual(torch.zeros([3]).unsqueeze(0).shape, [1, 3]);
    assert.deepEqual(torch.zeros([3]).unsqueeze(-1).shape, [3, 1]);
    const e = torch.tensor([[1], [2]]).expand(2, 3);
    assert.deepEqual(e.tolist(), [
      [1, 1, 1],
      [2, 2, 2],
    ]);
    assert.deepEqual(e.stride(), [1, 0]);
    assert.deepEqual(torch.tensor([[1], [2]]).expand(-1, 4).shape, [2, 4]);
    assert.deepEqual(torch.tensor([1, 2]).expandAs(torch.zeros([3, 2])).shape, [3, 2]);
    assert.deepEqual(torch.zeros([2, 3, 4]).flatten().shape, [24]);
    assert.deepEqual(torch.zeros([2, 3, 4]).flatten(1).shape, [2, 12]);
    assert.deepEqual(torch.zeros([2, 12]).unflatten(1, [3, 4]).shape, [2, 3, 4]);
  });

  test('slice, narrow, select and index() with Python slice syntax', () => {
    const x = range(20, [4, 5]);
    assert.deepEqual(x.slice(1, 1, 4, 2).tolist(), [
      [1, 3],
      [6, 8],
      [11, 13],
      [16, 18],
    ]);
    assert.deepEqual(x.slice(0, -2).tolist(), [
      [10, 11, 12, 13, 14],
      [15, 16, 17, 18, 19],
    ]);
    assert.deepEqual(x.narrow(1, 3, 2).index(0).tolist(), [3, 4]);
    assert.deepEqual(x.select(1, -1).tolist(), [4, 9, 14, 19]);
    // x[1, 2:4] ; x[:, ::2][-1] ; x[..., 0] ; x[1:3, -1]
    assert.deepEqual(x.index(1, '2:4').tolist(), [7, 8]);
    assert.deepEqual(x.index(':', '::2').index(-1).tolist(), [15, 17, 19]);
    assert.deepEqual(x.index('...', 0).tolist(), [0, 5, 10, 15]);
    assert.deepEqual(x.index('1:3', -1).tolist(), [9, 14]);
    assert.deepEqual(x.index([null, 2], [3, null]).tolist(), [
      [3, 4],
      [8, 9],
    ]);
    assert.deepEqual(x.index(null, ':-3').shape, [4, 2]);
    // Advanced indexing with integer and boolean tensors.
    assert.deepEqual(x.index(long([3, 0]), 1).tolist(), [16, 1]);
    assert.deepEqual(x.index(long([0, 2]), long([1, 4])).tolist(), [1, 14]);
    assert.deepEqual(x.index(torch.tensor([true, false, false, true])).shape, [2, 5]);
    assert.deepEqual(x.index(':', long([4, 4])).shape, [4, 2]);
    // A basic index is a view: writing through it changes x.
    x.index(0, '0:2').fill_(-1);
    assert.deepEqual(x.index(0).tolist(), [-1, -1, 2, 3, 4]);
  });

  test('indexSelect, gather, scatter, scatterAdd', () => {
    const x = range(6, [2, 3]);
    assert.deepEqual(x.indexSelect(1, long([2, 0])).tolist(), [
      [2, 0],
      [5, 3],
    ]);
    assert.deepEqual(
      x
        .gather(
          1,
          long([
            [0, 0],
            [2, 1],
          ]),
        )
        .tolist(),
      [
        [0, 0],
        [5, 4],
      ],
    );
    const z = torch.zeros([2, 3]);
    assert.deepEqual(z.scatter(1, long([[2], [0]]), torch.tensor([[7], [8]])).tolist(), [
      [0, 0, 7],
      [8, 0, 0],
    ]);
    assert.deepEqual(z.scatter(1, long([[1], [1]]), 5).tolist(), [
      [0, 5, 0],
      [0, 5, 0],
    ]);
    assert.deepEqual(z.tolist(), [
      [0, 0, 0],
      [0, 0, 0],
    ]); // out of place
    assert.deepEqual(
      torch
        .zeros([4])
        .scatterAdd(0, long([0, 1, 0, 3, 0]), torch.ones([5]))
        .tolist(),
      [3, 1, 0, 1],
    );
  });

  test('maskedFill, maskedSelect, where', () => {
    const x = torch.tensor([1, -2, 3, -4]);
    const neg = x.lt(0);
    assert.deepEqual(x.maskedFill(neg, 0).tolist(), [1, 0, 3, 0]);
    assert.deepEqual(x.maskedFill(neg, torch.tensor(9)).tolist(), [1, 9, 3, 9]);
    assert.deepEqual(x.maskedSelect(neg).tolist(), [-2, -4]);
    assert.deepEqual(torch.where(neg, x.neg(), x).tolist(), [1, 2, 3, 4]);
    assert.deepEqual(torch.where(neg, 0, x).tolist(), [1, 0, 3, 0]);
    assert.deepEqual(torch.where(neg, x, -1).tolist(), [-1, -2, -1, -4]);
    assert.deepEqual(torch.where(torch.tensor([[true], [false]]), torch.ones([2, 2]), torch.zeros([2])).tolist(), [
      [1, 1],
      [0, 0],
    ]);
  });

  test('cat, stack, split, chunk, unbind', () => {
    const a = range(4, [2, 2]);
    const b = torch.full([2, 1], 9);
    assert.deepEqual(torch.cat([a, b], 1).tolist(), [
      [0, 1, 9],
      [2, 3, 9],
    ]);
    assert.deepEqual(torch.cat([a, a]).shape, [4, 2]);
    assert.deepEqual(torch.stack([a, a], 1).shape, [2, 2, 2]);
    assert.deepEqual(torch.stack([torch.tensor([1, 2]), torch.tensor([3, 4])]).tolist(), [
      [1, 2],
      [3, 4],
    ]);
    const x = torch.arange(7);
    assert.deepEqual(
      x.split(3).map((t) => t.tolist()),
      [[0, 1, 2], [3, 4, 5], [6]],
    );
    assert.deepEqual(
      x.split([2, 5]).map((t) => t.shape[0]),
      [2, 5],
    );
    assert.deepEqual(
      x.chunk(3).map((t) => t.tolist()),
      [[0, 1, 2], [3, 4, 5], [6]],
    );
    assert.deepEqual(
      range(6, [2, 3])
        .chunk(3, 1)
        .map((t) => t.shape),
      [
        [2, 1],
        [2, 1],
        [2, 1],
      ],
    );
    assert.deepEqual(
      range(6, [2, 3])
        .unbind(1)
        .map((t) => t.tolist()),
      [
        [0, 3],
        [1, 4],
        [2, 5],
      ],
    );
  });

  test('flip, roll, repeat, pad, oneHot', () => {
    assert.deepEqual(torch.tensor([1, 2, 3]).flip([0]).tolist(), [3, 2, 1]);
    assert.deepEqual(torch.tensor([1, 2, 3, 4]).roll(1).tolist(), [4, 1, 2, 3]);
    assert.deepEqual(torch.tensor([1, 2]).repeat(2, 2).tolist(), [
      [1, 2, 1, 2],
      [1, 2, 1, 2],
    ]);
    assert.deepEqual(torch.nn.functional.pad(torch.tensor([[1, 2]]), [1, 2]).tolist(), [[0, 1, 2, 0, 0]]);
    assert.deepEqual(torch.nn.functional.oneHot(long([2, 0]), 3).tolist(), [
      [0, 0, 1],
      [1, 0, 0],
    ]);
  });
});

describe('reductions', () => {
  const x = () =>
    torch.tensor([
      [1, 5, 3],
      [4, 2, 6],
    ]);

  test('sum and mean: all, by dim, several dims, keepdim, dtype', () => {
    assert.equal(x().sum().item(), 21);
    assert.deepEqual(x().sum(0).tolist(), [5, 7, 9]);
    assert.deepEqual(x().sum(1, true).tolist(), [[9], [12]]);
    assert.deepEqual(x().sum(-1, true).shape, [2, 1]);
    assert.equal(x().sum([0, 1]).item(), 21);
    assert.deepEqual(x().mean(1).tolist(), [3, 4]);
    assert.deepEqual(x().mean([0], true).shape, [1, 3]);
    assert.equal(x().sum(undefined, false, 'float64').dtype, 'float64');
    assert.equal(torch.ones([3], { dtype: 'int32' }).sum().dtype, 'int64'); // integer sums widen, as PyTorch
    assert.deepEqual(x().prod(1).tolist(), [15, 48]);
  });

  test('max/min with dim return values and indices; argmax/argmin', () => {
    assert.equal(x().max().item(), 6);
    const { values, indices } = x().max(1);
    assert.deepEqual(values.tolist(), [5, 6]);
    assert.deepEqual(indices.tolist(), [1, 2]);
    assert.equal(indices.dtype, 'int64');
    const m = x().min(0, true);
    assert.deepEqual(m.values.tolist(), [[1, 2, 3]]);
    assert.deepEqual(m.indices.tolist(), [[0, 1, 0]]);
    assert.equal(x().argmax().item(), 5);
    assert.deepEqual(x().argmin(1).tolist(), [0, 1]);
    assert.deepEqual(x().argmax(1, true).shape, [2, 1]);
  });

  test('var and std (unbiased by default), norm, logsumexp', () => {
    const v = torch.tensor([1, 2, 3, 4], { dtype: 'float64' });
    assert.equal(v.var().item(), 5 / 3);
    assert.equal(v.var(0, false, 0).item(), 1.25);
    assertClose(v.std().item(), Math.sqrt(5 / 3), 1e-15, 0);
    assertClose(x().var(1).tolist() as number[], [4, 4], 1e-6, 0);
    assertClose(torch.tensor([3, 4]).norm().item(), 5, 1e-6, 0);
    assertClose(torch.tensor([3, -4]).norm(1).item(), 7, 1e-6, 0);
    assertClose(
      torch
        .tensor([
          [3, 4],
          [6, 8],
        ])
        .norm(2, 1)
        .tolist() as number[],
      [5, 10],
      1e-5,
      0,
    );
    assertClose(
      torch
        .tensor([0, Math.log(3)], { dtype: 'float64' })
        .logsumexp(0)
        .item(),
      Math.log(4),
      1e-15,
      0,
    );
    // logsumexp stays finite where exp overflows.
    assertClose(torch.tensor([1000, 1000]).logsumexp(0).item(), 1000 + Math.log(2), 1e-3, 0);
  });

  test('all, any, cumsum, topk, sort, argsort', () => {
    const b = torch.tensor([
      [true, false],
      [true, true],
    ]);
    assert.equal(b.all().item(), 0);
    assert.deepEqual(b.all(1).tolist(), [false, true]);
    assert.deepEqual(b.any(0).tolist(), [true, true]);
    assert.deepEqual(torch.tensor([1, 2, 3]).cumsum(0).tolist(), [1, 3, 6]);
    const t = torch.tensor([3, 1, 4, 1, 5]).topk(2);
    assert.deepEqual(t.values.tolist(), [5, 4]);
    assert.deepEqual(t.indices.tolist(), [4, 2]);
    assert.deepEqual(torch.tensor([3, 1, 4, 1, 5]).topk(2, 0, false).values.tolist(), [1, 1]);
    const s = torch.tensor([3, 1, 2]).sort(0, true);
    assert.deepEqual(s.values.tolist(), [3, 2, 1]);
    assert.deepEqual(s.indices.tolist(), [0, 2, 1]);
    assert.deepEqual(torch.tensor([3, 1, 2]).argsort().tolist(), [1, 2, 0]);
  });
});

describe('linear algebra and softmax', () => {
  test('matmul (2-D, batched, broadcast, vectors), mm, bmm', () => {
    const a = torch.tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = torch.tensor([
      [5, 6],
      [7, 8],
    ]);
    assert.deepEqual(a.matmul(b).tolist(), [
      [19, 22],
      [43, 50],
    ]);
    assert.deepEqual(a.mm(b).tolist(), [
      [19, 22],
      [43, 50],
    ]);
    assert.deepEqual(torch.tensor([1, 2]).matmul(torch.tensor([3, 4])).shape, []);
    assert.equal(
      torch
        .tensor([1, 2])
        .matmul(torch.tensor([3, 4]))
        .item(),
      11,
    );
    assert.deepEqual(a.matmul(torch.tensor([1, 1])).tolist(), [3, 7]);
    const batch = torch.stack([a, b]);
    assert.deepEqual(batch.bmm(batch).tolist(), [a.matmul(a).tolist(), b.matmul(b).tolist()]);
    assert.deepEqual(batch.matmul(a).shape, [2, 2, 2]);
    assert.deepEqual(torch.zeros([3, 1, 2, 4]).matmul(torch.zeros([5, 4, 6])).shape, [3, 5, 2, 6]);
    assert.deepEqual(torch.outer(torch.tensor([1, 2]), torch.tensor([3, 4, 5])).tolist(), [
      [3, 4, 5],
      [6, 8, 10],
    ]);
  });

  test('einsum: matrix product, transpose, trace, batched contraction', () => {
    const a = torch.tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = torch.tensor([
      [5, 6],
      [7, 8],
    ]);
    assert.deepEqual(torch.einsum('ij,jk->ik', a, b).tolist(), [
      [19, 22],
      [43, 50],
    ]);
    assert.deepEqual(torch.einsum('ij->ji', a).tolist(), [
      [1, 3],
      [2, 4],
    ]);
    assert.equal(torch.einsum('ii', a).item(), 5);
    const x = torch.randn([2, 3, 4]);
    const y = torch.randn([2, 4, 5]);
    assertClose(torch.einsum('bij,bjk->bik', x, y), x.bmm(y), 1e-5, 1e-5);
  });

  test('softmax and logSoftmax', () => {
    const z = torch.tensor(
      [
        [1, 2, 3],
        [0, 0, 0],
      ],
      { dtype: 'float64' },
    );
    const s = z.softmax(1);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const total = e[0] + e[1] + e[2];
    assertClose(
      s.index(0),
      e.map((v) => v / total),
      1e-15,
      0,
    );
    assertClose(s.index(1), [1 / 3, 1 / 3, 1 / 3], 1e-15, 0);
    assertClose(z.logSoftmax(1), s.log(), 1e-15, 0);
    assertClose(z.softmax(0).sum(0), [1, 1, 1], 1e-15, 0);
    // Stable for large logits.
    assert.deepEqual(torch.tensor([1000, 1000]).softmax(0).tolist(), [0.5, 0.5]);
    assert.equal(torch.softmax(torch.tensor([1, 2]), 0, 'float64').dtype, 'float64');
  });

  test('elementwise math agrees with JavaScript Math', () => {
    const v = [0.5, 1, 2.5];
    const t = torch.tensor(v, { dtype: 'float64' });
    const check = (got: Tensor, f: (x: number) => number) => assertClose(got, v.map(f), 1e-15, 1e-15);
    check(t.exp(), Math.exp);
    check(t.log(), Math.log);
    check(t.sqrt(), Math.sqrt);
    check(t.tanh(), Math.tanh);
    check(t.sigmoid(), (x) => 1 / (1 + Math.exp(-x)));
    check(t.pow(3), (x) => x ** 3);
    check(t.reciprocal(), (x) => 1 / x);
    assert.deepEqual(torch.tensor([-7, 7]).remainder(3).tolist(), [2, 1]); // Python's sign convention
    assert.deepEqual(torch.tensor([-1.5, 0.5, 2.5]).round().tolist(), [-2, 0, 2]); // half to even
    assert.deepEqual(torch.divRounded(torch.tensor([-7, 7]), 2, 'floor').tolist(), [-4, 3]);
    assert.deepEqual(torch.tensor([-2, 0, 3]).relu().tolist(), [0, 0, 3]);
    assert.deepEqual(torch.tensor([-2, 0.5, 3]).clamp(0, 1).tolist(), [0, 0.5, 1]);
    assert.deepEqual(torch.tensor([-2, 0.5, 3]).clamp(null, 1).tolist(), [-2, 0.5, 1]);
    assert.ok(torch.allclose(torch.tensor([1, 2]), torch.tensor([1, 2.000001])));
    assert.ok(!torch.allclose(torch.tensor([1, 2]), torch.tensor([1, 2.1])));
  });
});

describe('item, tolist and printing', () => {
  test('item() and tolist() for each kind of tensor', () => {
    assert.equal(torch.tensor([[2.5]]).item(), 2.5);
    assert.equal(torch.tensor([3], { dtype: 'int64' }).item(), 3);
    assert.equal(torch.tensor([true]).item(), 1);
    assert.equal(torch.tensor(7).tolist(), 7);
    assert.deepEqual(torch.tensor([true]).tolist(), [true]);
    assert.deepEqual(torch.zeros([2, 0]).tolist(), [[], []]);
    assert.deepEqual(torch.tensor([1.5], { dtype: 'float16' }).tolist(), [1.5]);
  });

  test('toString prints exactly what Python prints', () => {
    // Each expected string is Python's repr() of the same tensor (torch 2.13).
    const cases: [Tensor, string][] = [
      [
        torch.tensor([
          [1.5, 2],
          [3, 4],
        ]),
        'tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])',
      ],
      [torch.tensor([2, 2]), 'tensor([2., 2.])'],
      [torch.tensor([1.5, NaN, Infinity]), 'tensor([1.5000,    nan,    inf])'],
      [torch.tensor([-1.5, 2, 100.25]), 'tensor([ -1.5000,   2.0000, 100.2500])'],
      [torch.tensor([1e-5, 1, 1000]), 'tensor([1.0000e-05, 1.0000e+00, 1.0000e+03])'],
      [torch.tensor([0.5, 123456]), 'tensor([5.0000e-01, 1.2346e+05])'],
      [
        torch.tensor([
          [0.1234567, -5.5],
          [1e3, 2],
        ]),
        'tensor([[ 1.2346e-01, -5.5000e+00],\n        [ 1.0000e+03,  2.0000e+00]])',
      ],
      [torch.tensor([1, 2, 3], { dtype: 'int32' }), 'tensor([1, 2, 3], dtype=torch.int32)'],
      [
        torch.arange(24).reshape(2, 3, 4),
        'tensor([[[ 0,  1,  2,  3],\n         [ 4,  5,  6,  7],\n         [ 8,  9, 10, 11]],\n\n' +
          '        [[12, 13, 14, 15],\n         [16, 17, 18, 19],\n         [20, 21, 22, 23]]])',
      ],
      [torch.tensor([true, false]).reshape(1, 2, 1), 'tensor([[[ True],\n         [False]]])'],
      [torch.tensor(3.5), 'tensor(3.5000)'],
      [torch.tensor(3), 'tensor(3.)'],
      [torch.zeros([0]), 'tensor([])'],
      [torch.zeros([3, 0, 2]), 'tensor([], size=(3, 0, 2))'],
      [torch.zeros([3], { dtype: 'bfloat16' }), 'tensor([0., 0., 0.], dtype=torch.bfloat16)'],
      [
        torch.tensor([-0.5, 0.25], { dtype: 'float64', requiresGrad: true }),
        'tensor([-0.5000,  0.2500], dtype=torch.float64, requires_grad=True)',
      ],
      [
        torch.arange(30, undefined, 1, { dtype: 'float32' }),
        'tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n' +
          '        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n        28., 29.])',
      ],
      [
        torch.arange(2000, undefined, 1, { dtype: 'float32' }),
        'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])',
      ],
      // Exact ties round to even, as Python's '%.4f' and '%.4e'; negative zero keeps its sign.
      [torch.tensor([0.03125, 0.15625, -0.09375, 1.5]), 'tensor([ 0.0312,  0.1562, -0.0938,  1.5000])'],
      [torch.tensor([1.03125e5, 1]), 'tensor([1.0312e+05, 1.0000e+00])'],
      [torch.tensor([-0, 1]), 'tensor([-0., 1.])'],
      [torch.tensor([-0, 1.5]), 'tensor([-0.0000, 1.5000])'],
    ];
    for (const [t, expected] of cases) assert.equal(t.toString(), expected);
    const x = torch.arange(6, undefined, 1, { dtype: 'float32' }).reshape(2, 3).requiresGrad_();
    assert.equal(x.sum(1).toString(), 'tensor([ 3., 12.], grad_fn=<SumBackward1>)');
    assert.equal(
      torch.linspace(-1, 1, 7, { dtype: 'float64' }).exp().requiresGrad_().sum().toString(),
      'tensor(8.6595, dtype=torch.float64, grad_fn=<SumBackward0>)',
    );
    // util.inspect (console.log) uses the same text.
    assert.equal(inspect(torch.tensor([2, 2])), 'tensor([2., 2.])');
  });
});

describe('generic operator access and in-place methods', () => {
  test('torch.ops.aten.<name>.<overload> reaches any ATen operator', () => {
    const a = torch.tensor([1, 2]);
    const b = torch.tensor([10, 20]);
    assert.deepEqual((torch.ops.aten.add.Tensor(a, b, 2) as Tensor).tolist(), [21, 42]);
    assert.deepEqual((torch.ops.aten.relu.default(torch.tensor([-1, 1])) as Tensor).tolist(), [0, 1]);
    const [values, indices] = torch.ops.aten.max.dim(
      torch.tensor([
        [1, 3],
        [4, 2],
      ]),
      1,
    ) as Tensor[];
    assert.deepEqual(values.tolist(), [3, 4]);
    assert.deepEqual(indices.tolist(), [1, 0]);
    assert.deepEqual((torch.ops.aten.cumprod.default(torch.tensor([1, 2, 3]), 0) as Tensor).tolist(), [1, 2, 6]);
    assert.equal(torch.ops.aten.allclose.default(a, a) as boolean, true);
    assert.equal(torch.ops.aten.size.int(torch.zeros([4, 5]), 1), 5);
    // An in-place operator hands back the very Tensor it was given.
    const c = torch.zeros([2]);
    assert.equal(torch.ops.aten.add_.Scalar(c, 3), c);
    assert.deepEqual(c.tolist(), [3, 3]);
    assert.equal(torch.callOperator('aten::mul.Scalar', c, 2) instanceof torch.Tensor, true);
    assert.match(torch.schemaOf('aten::add.Tensor'), /^aten::add\.Tensor\(Tensor self, Tensor other, \*, Scalar alpha=1\) -> Tensor$/);
    const all = torch.listOperators();
    assert.ok(all.includes('aten::conv2d') && all.includes('aten::add.Tensor') && all.length > 1000);
  });

  test('in-place methods modify and return the same object', () => {
    const x = torch.zeros([3]);
    const same = (r: Tensor) => assert.equal(r, x);
    same(x.add_(2));
    same(x.sub_(torch.ones([3]), 0.5));
    same(x.mul_(4));
    same(x.div_(2));
    assert.deepEqual(x.tolist(), [3, 3, 3]);
    same(x.addcmul_(torch.ones([3]), torch.full([3], 2), 0.5));
    same(x.addcdiv_(torch.ones([3]), torch.full([3], 2)));
    assert.deepEqual(x.tolist(), [4.5, 4.5, 4.5]);
    same(x.lerp_(torch.zeros([3]), 0.5));
    same(x.sqrt_());
    same(x.clamp_(0, 1));
    assert.deepEqual(x.tolist(), [1, 1, 1]);
    same(x.fill_(-2));
    same(x.relu_());
    same(x.copy_(torch.tensor([1, 2, 3])));
    same(x.maskedFill_(torch.tensor([true, false, false]), 9));
    assert.deepEqual(x.tolist(), [9, 2, 3]);
    same(x.clampMin_(5));
    same(x.zero_());
    assert.deepEqual(x.tolist(), [0, 0, 0]);
    same(x.uniform_(2, 3));
    assert.ok(x.min().item() >= 2 && x.max().item() < 3);
    same(x.normal_(0, 1));
    same(x.bernoulli_(1));
    assert.deepEqual(x.tolist(), [1, 1, 1]);
    same(x.indexPut_([long([0, 2])], torch.tensor([5, 6])));
    assert.deepEqual(x.tolist(), [5, 1, 6]);
    same(x.indexPut_([long([0, 0])], torch.tensor([1, 1]), true));
    assert.deepEqual(x.tolist(), [7, 1, 6]);
    same(x.requiresGrad_(false));
  });
});

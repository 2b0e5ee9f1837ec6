// Bad input: every libtorch failure becomes a JavaScript Error carrying the op's
// name and libtorch's own message, the process survives, and the next op works.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { expectError, useOneThread } from './helpers.js';

useOneThread();

const long = (v: number[]) => torch.tensor(v, { dtype: 'int64' });

// After each failure, ordinary work goes on.
afterEach(() => {
  const a = torch.tensor([
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(a.matmul(a).add(1).tolist(), [
    [8, 11],
    [16, 23],
  ]);
  a.dispose();
});

describe('shape mismatches', () => {
  test('add with incompatible shapes', () => {
    expectError(
      () => torch.ones([2, 3]).add(torch.ones([4])),
      /^aten::add\.Tensor: /,
      /The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1/,
    );
  });
  test('matmul with inner dimensions that differ', () => {
    expectError(() => torch.ones([2, 3]).matmul(torch.ones([4, 5])), /aten::matmul/, /cannot be multiplied \(2x3 and 4x5\)/);
  });
  test('reshape to a size that does not fit', () => {
    expectError(() => torch.ones([6]).reshape(4), /aten::reshape/, /shape '\[4\]' is invalid for input of size 6/);
  });
  test('cat of tensors whose other dimensions differ', () => {
    expectError(() => torch.cat([torch.ones([2, 3]), torch.ones([2, 4])], 0), /aten::cat/, /Sizes of tensors must match/);
  });
  test('conv2d with the wrong number of input channels', () => {
    expectError(
      () => torch.nn.functional.conv2d(torch.ones([1, 3, 5, 5]), torch.ones([2, 4, 3, 3])),
      /aten::conv2d/,
      /expected input\[1, 3, 5, 5\] to have 4 channels, but got 3 channels instead/,
    );
  });
});

describe('wrong dtypes', () => {
  test('matmul of float32 and int64', () => {
    expectError(
      () => torch.ones([2, 3]).matmul(torch.ones([3, 2], { dtype: 'int64' })),
      /aten::matmul/,
      /expected m1 and m2 to have the same dtype, but got: float != long int/,
    );
  });
  test('indexing with a float tensor', () => {
    expectError(
      () => torch.ones([3]).index(torch.tensor([1])),
      /aten::index\.Tensor/,
      /tensors used as indices must be long, int, byte or bool tensors/,
    );
    expectError(() => torch.ones([3]).indexSelect(0, torch.tensor([1])), /aten::index_select/, /Expected dtype int32 or int64 for index/);
  });
  test('cross_entropy with float class indices of the wrong shape', () => {
    expectError(() => torch.nn.functional.crossEntropy(torch.ones([2, 3]), torch.tensor([0, 1])), /aten::cross_entropy_loss/);
  });
});

describe('indices out of range', () => {
  test('select', () => {
    expectError(() => torch.ones([3]).select(0, 5), /aten::select\.int/, /index 5 out of range for tensor of size \[3\] at dimension 0/);
  });
  test('indexSelect', () => {
    expectError(() => torch.ones([3]).indexSelect(0, long([5])), /aten::index_select/, /index out of range in self/);
  });
  test('gather', () => {
    expectError(() => torch.ones([3]).gather(0, long([5])), /aten::gather/, /index 5 is out of bounds for dimension 0 with size 3/);
  });
  test('advanced indexing with a tensor', () => {
    expectError(() => torch.ones([3]).index(long([3])), /aten::index\.Tensor/, /index 3 is out of bounds for dimension 0 with size 3/);
  });
  test('index() with a number past the end names the bound, and frees its intermediate views', () => {
    const x = torch.ones([2, 3, 4]);
    const floatIndex = torch.tensor([1]);
    const before = torch.memoryStats().liveTensors;
    expectError(() => x.index(0, 3), /index 3 is out of bounds for dimension 1 with size 3/);
    expectError(() => x.index(1, '0:2', floatIndex), /aten::index\.Tensor/, /must be long, int, byte or bool/);
    expectError(() => x.index(0, 'a:b'), /non-integer bound/);
    // No view is left behind; the count can only drop (the collector may free earlier tests' leftovers meanwhile).
    assert.ok(torch.memoryStats().liveTensors <= before, `${torch.memoryStats().liveTensors} live tensors after, ${before} before`);
    torch.dispose([x, floatIndex]);
  });
  test('embedding with an id past the table', () => {
    expectError(() => torch.nn.functional.embedding(long([7]), torch.ones([4, 2])), /aten::embedding/, /index out of range in self/);
  });
  test('cross_entropy with a class index past the logits', () => {
    expectError(
      () => torch.nn.functional.crossEntropy(torch.ones([2, 3]), long([0, 3])),
      /aten::cross_entropy_loss/,
      /Target 3 is out of bounds/,
    );
  });
  test('a dimension that does not exist', () => {
    expectError(
      () => torch.ones([2, 3]).sum(2),
      /aten::sum\.dim_IntList/,
      /Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/,
    );
  });
});

describe('disposed tensors', () => {
  test('using a disposed tensor in an op names the op and says why', () => {
    const x = torch.ones([2]);
    x.dispose();
    expectError(() => x.add(1), /aten::add\.Scalar/, /disposed/);
    expectError(() => torch.ones([2]).add(x), /aten::add\.Tensor/, /disposed/);
    expectError(() => x.shape, /disposed/);
    expectError(() => x.tolist(), /disposed/);
    expectError(() => x.backward(), /disposed/);
  });
});

describe('empty tensors', () => {
  test('max() of an empty tensor is an Error, as in PyTorch', () => {
    expectError(() => torch.zeros([0]).max(), /aten::max/, /Expected reduction dim to be specified for input\.numel\(\) == 0/);
    expectError(() => torch.zeros([0, 3]).argmax(), /aten::argmax/);
  });
  test('mean of an empty tensor is NaN and sum is 0, as in PyTorch', () => {
    assert.ok(Number.isNaN(torch.zeros([0]).mean().item()));
    assert.equal(torch.zeros([0]).sum().item(), 0);
    assert.equal(torch.zeros([0]).prod().item(), 1);
    assert.deepEqual(torch.zeros([0, 3]).sum(0).tolist(), [0, 0, 0]);
  });
  test('item() of an empty or multi-element tensor is an Error', () => {
    expectError(() => torch.zeros([0]).item(), /item\(\) needs a tensor with one element, this one has 0/);
    expectError(() => torch.zeros([2]).item(), /this one has 2/);
  });
});

describe('NaN inputs propagate as in PyTorch', () => {
  test('arithmetic, reductions, max and matmul', () => {
    const x = torch.tensor([1, NaN, 3]);
    assert.deepEqual(x.add(1).isnan().tolist(), [false, true, false]);
    assert.ok(Number.isNaN(x.sum().item()));
    assert.ok(Number.isNaN(x.max().item()));
    assert.ok(Number.isNaN(x.min().item()));
    assert.equal(x.argmax().item(), 1); // NaN is the maximum, as torch.argmax
    // NaN * 0 is NaN: the whole first row of the product is NaN, the second is untouched.
    const m = torch
      .tensor([
        [1, NaN],
        [0, 1],
      ])
      .matmul(torch.eye(2));
    assert.deepEqual(m.isnan().tolist(), [
      [true, true],
      [false, false],
    ]);
    assert.deepEqual(x.softmax(0).isnan().tolist(), [true, true, true]);
    assert.deepEqual(
      torch
        .maximum(x, torch.zeros([3]))
        .isnan()
        .tolist(),
      [false, true, false],
    );
    assert.deepEqual(x.clamp(0, 2).isnan().tolist(), [false, true, false]);
  });
});

describe('arguments the bridge cannot convert', () => {
  test('a string where a tensor is expected names the op and the argument', () => {
    expectError(() => torch.ops.aten.add.Tensor(torch.ones([1]), 'x'), /aten::add\.Tensor/, /expected a Tensor, got a string/);
  });
  test('a fractional number where an integer is expected', () => {
    expectError(() => torch.ones([4]).reshape(2.5), /aten::reshape/, /argument 'shape' must be an integer/);
  });
  test('too many arguments and unknown operators', () => {
    expectError(() => torch.ops.aten.relu.default(torch.ones([1]), 1, 2), /aten::relu/, /takes 1 arguments, got 3/);
    expectError(() => torch.ops.aten.no_such_op.default(torch.ones([1])), /unknown operator aten::no_such_op/);
  });
  test('nested arrays that are ragged', () => {
    expectError(() => torch.tensor([[1, 2], [3]]), /ragged/);
  });
  test('data that does not match the shape', () => {
    expectError(() => torch.tensor(new Float32Array(5), { shape: [2, 2] }), /the data has 20 bytes but shape \[2, 2\] of Float needs 16/);
  });
  test('many failures in a row leave no tensors behind and the engine healthy', () => {
    const before = torch.memoryStats().liveTensors;
    const a = torch.ones([2, 3]);
    const b = torch.ones([4]);
    for (let i = 0; i < 200; ++i) assert.throws(() => a.add(b));
    torch.dispose([a, b]);
    // Nothing is left behind; the count can only drop (the collector may free earlier tests' leftovers meanwhile).
    assert.ok(torch.memoryStats().liveTensors <= before, `${torch.memoryStats().liveTensors} live tensors after, ${before} before`);
  });
});

test('backward without a gradient on a non-scalar output is an Error', () => {
  const x = torch.ones([3], { requiresGrad: true });
  expectError(() => x.mul(2).backward(), /backward\(\) without a gradient needs a scalar output; this tensor has shape \[3\]/);
  const y: Tensor = torch.ones([3]);
  expectError(() => y.sum().backward(), /backward/, /does not require grad and does not have a grad_fn/);
});

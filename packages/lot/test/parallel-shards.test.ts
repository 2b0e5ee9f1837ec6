// Each domain's shard of the data for data-parallel runs: the ranks' parts of a step are,
// together and in rank order, exactly what one process takes with the ranks' total batch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchify, shardColumns } from '../src/tasks/lm/segments.js';
import { batchIndices, cursorIndices, epochOrder, shardedBatchCount, shardOf } from '../src/tasks/vision/batches.js';

test('vision: ranks split every global batch of the main stream and the cursor; the short last batch is dropped', () => {
  const count = 100;
  const b = 8;
  const ranks = 3;
  assert.equal(shardedBatchCount(count, b, { rank: 0, count: 1 }), 13);
  assert.equal(shardedBatchCount(count, b, { rank: 0, count: ranks }), 4); // 4 × 24 = 96 of 100
  const order = epochOrder(count, 0, 1);
  for (let step = 0; step < 4; step++) {
    const whole = [...batchIndices(order, step, b * ranks)];
    const parts = Array.from({ length: ranks }, (_, rank) => [...shardOf(batchIndices(order, step, b * ranks), { rank, count: ranks })]);
    for (const p of parts) assert.equal(p.length, b);
    assert.deepEqual(parts.flat(), whole);
  }
  for (const position of [0, 3, 4, 9]) {
    const whole = [...cursorIndices(count, b * ranks, position % 4)];
    const parts = Array.from({ length: ranks }, (_, rank) => [...cursorIndices(count, b, position, { rank, count: ranks })]);
    assert.deepEqual(parts.flat(), whole);
  }
  assert.throws(() => shardOf(new Int32Array(7), { rank: 0, count: 2 }), /does not split over 2 ranks/);
});

test('language models: each rank holds its columns of the split batchified for all ranks', () => {
  const stream = Int32Array.from({ length: 123 }, (_, i) => i);
  const whole = batchify(stream, 6);
  const parts = [0, 1, 2].map((rank) => shardColumns(whole, { rank, count: 3 }));
  for (const [rank, p] of parts.entries()) {
    assert.equal(p.batch, 2);
    assert.equal(p.rows, whole.rows);
    for (let r = 0; r < whole.rows; r++) {
      for (let c = 0; c < 2; c++) assert.equal(p.ids[r * 2 + c], whole.ids[r * 6 + rank * 2 + c]);
    }
  }
  assert.equal(shardColumns(whole, { rank: 0, count: 1 }), whole);
});

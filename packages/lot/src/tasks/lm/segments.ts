// A split's id stream cut into `batch` columns and read in segments, as the reference does:
// `batchify` keeps the first rows·batch ids (rows = ⌊length / batch⌋, the remainder dropped) and
// lays column c = stream[c·rows, (c+1)·rows) side by side, time-major ([rows, batch]: the id at
// row r of column c is at r·batch + c). Segment i of length L has the inputs of rows
// [i·L, min(rows − 1, (i+1)·L)) and, as targets, the ids one row further (the reference's
// get_batch with bptt L), so there are ⌈(rows − 1) / L⌉ segments and only the last may be short.
// Everything here is a pure function of (columns, L, index): a run resumes at any segment.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { type Shard, UsageError } from '../../harness/index.js';

/** A split as `batch` equal columns, time-major: `ids[r * batch + c]` is row r of column c. */
export interface Columns {
  readonly ids: Int32Array;
  readonly rows: number;
  readonly batch: number;
}

const positiveInt = (x: number, what: string): void => {
  if (!Number.isInteger(x) || x < 1) throw new UsageError(`${what} must be a positive integer, got ${x}`);
};

/** Cuts `stream` into `batch` equal columns (the reference's batchify); `what` names the split in errors. */
export function batchify(stream: Int32Array, batch: number, what = 'the split'): Columns {
  positiveInt(batch, 'the batch size');
  const rows = Math.floor(stream.length / batch);
  if (rows < 2) {
    throw new UsageError(
      `${what} has ${stream.length} tokens: too few for ${batch} columns of at least 2 tokens each; use a smaller batch size or a larger split`,
    );
  }
  const ids = new Int32Array(rows * batch);
  for (let c = 0; c < batch; c++) {
    const column = stream.subarray(c * rows, (c + 1) * rows);
    for (let r = 0; r < rows; r++) ids[r * batch + c] = column[r]!;
  }
  return { ids, rows, batch };
}

/**
 * How many segments of length L the columns hold: ⌈(rows − 1) / L⌉. A segment longer than the
 * split (L > rows − 1) is a UsageError: `what` names the split in the message.
 */
export function segmentCount(columns: Columns, L: number, what = 'the split'): number {
  positiveInt(L, 'the segment length');
  if (L > columns.rows - 1) {
    throw new UsageError(
      `a segment of ${L} tokens is longer than ${what} (${columns.rows} rows of ${columns.batch} columns give segments of at most ${columns.rows - 1}); use a shorter segment length or a smaller batch size`,
    );
  }
  return Math.ceil((columns.rows - 1) / L);
}

/** The first row and the length of segment `i` (0-based) of length L. */
export function segmentRange(columns: Columns, L: number, i: number): { start: number; length: number } {
  const count = segmentCount(columns, L);
  if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`segment ${i} does not exist (there are ${count} of length ${L})`);
  const start = i * L;
  return { start, length: Math.min(L, columns.rows - 1 - start) };
}

/** The ids of segment `i`, as views on the columns (no copy): inputs and targets, each length·batch long, time-major. */
export function segmentIds(columns: Columns, L: number, i: number): { input: Int32Array; target: Int32Array; length: number } {
  const { start, length } = segmentRange(columns, L, i);
  const b = columns.batch;
  return {
    input: columns.ids.subarray(start * b, (start + length) * b),
    target: columns.ids.subarray((start + 1) * b, (start + 1 + length) * b),
    length,
  };
}

/**
 * The LoT students' own cursor over the training columns: its `position`-th step (0-based,
 * counted over the whole run, never reset at an epoch) reads segment position mod segmentCount,
 * so after the last segment it wraps to row 0 exactly (the Transformer-XL reference does; its
 * LSTM code would start a row or two further, see docs/METHOD.md#streams-and-memories).
 */
export function studentSegment(columns: Columns, L: number, position: number): number {
  if (!Number.isInteger(position) || position < 0) throw new RangeError(`cursor position must be a non-negative integer, got ${position}`);
  return position % segmentCount(columns, L);
}

/** A segment as int64 tensors: `input` [length, batch] and `target` [length·batch] (rows in time-major order, as the logits). */
export interface SegmentBatch {
  input: Tensor;
  target: Tensor;
}

/** Segment `i` of length L as tensors on `device`. */
export function segmentBatch(columns: Columns, L: number, i: number, device = 'cpu'): SegmentBatch {
  const { input, target, length } = segmentIds(columns, L, i);
  const batch = {
    input: torch.tensor(input, { shape: [length, columns.batch], dtype: 'int64' }),
    target: torch.tensor(target, { shape: [length * columns.batch], dtype: 'int64' }),
  };
  if (device === 'cpu') return batch;
  const moved = { input: batch.input.to(device), target: batch.target.to(device) };
  torch.dispose(batch);
  return moved;
}

/**
 * Rank `shard.rank`'s columns of a split batchified into `batch × shard.count` columns: the ranks
 * of a data-parallel run together hold the columns one process would with the larger batch.
 */
export function shardColumns(columns: Columns, shard: Shard): Columns {
  if (shard.count === 1) return columns;
  const batch = columns.batch / shard.count;
  if (!Number.isInteger(batch)) throw new Error(`${columns.batch} columns do not split over ${shard.count} ranks`);
  const ids = new Int32Array(columns.rows * batch);
  for (let r = 0; r < columns.rows; r++) {
    ids.set(columns.ids.subarray(r * columns.batch + shard.rank * batch, r * columns.batch + (shard.rank + 1) * batch), r * batch);
  }
  return { ids, rows: columns.rows, batch };
}

// Deterministic image batches: which images a batch holds and how they are augmented depend
// only on (seed, epoch, batch index) or (seed, cursor position), never on what ran before.
// That is what lets a run stop anywhere and resume to exactly the result an uninterrupted
// run gets. Inputs are scaled to [−1, 1]; augmentation is the reference recipe's random crop
// with zero padding 4 (black, as torchvision pads before normalizing) and a horizontal flip,
// through the engine's seeded transforms.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import type { Shard } from '../../harness/index.js';
import type { VisionSplit } from './datasets/index.js';

/** A batch of images [B, C, H, W] (float32 in [−1, 1]) and class labels [B] (int64). */
export interface VisionBatch {
  images: Tensor;
  labels: Tensor;
}

/** Mixes non-negative integers into one 32-bit seed (the engine data loader's mixer). */
export const mixSeed = torch.data.seedFor;

/** Seed streams: what each seeded draw of a run is for. */
export const STREAM = { shuffle: 1, augment: 2, cursor: 3, cursorAugment: 4, labels: 5 } as const;

const { compose, randomCrop, randomHorizontalFlip, toSymmetric } = torch.data;
const scale = toSymmetric();

/** The reference recipe's augmentation for images of this size, then scaling. */
export const augmentation = (height: number, width: number): torch.data.Transform =>
  compose(randomCrop([height, width], { padding: 4 }), randomHorizontalFlip(), scale);

export interface BatchOptions {
  /** The augmentation pipeline (null: scaling only), and its seed for this batch. */
  augment: torch.data.Transform | null;
  seed: number;
  /** Replacement labels (the deceptive teacher's permuted labels). */
  labels?: ArrayLike<number>;
}

/** The batch of `split` at `indices`, scaled to [−1, 1] and (optionally) augmented. */
export function makeBatch(split: VisionSplit, indices: ArrayLike<number>, o: BatchOptions): VisionBatch {
  const size = split.channels * split.height * split.width;
  const count = indices.length;
  const pixels = new Uint8Array(count * size);
  const labels = new BigInt64Array(count);
  const labelSource = o.labels ?? split.labels;
  for (let k = 0; k < count; ++k) {
    const i = indices[k]!;
    pixels.set(split.images.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = BigInt(labelSource[i]!);
  }
  return torch.tidy(() => {
    const raw = torch.tensor(pixels, { shape: [count, split.channels, split.height, split.width] });
    return { images: (o.augment ?? scale).apply(raw, o.seed), labels: torch.tensor(labels, { shape: [count] }) };
  });
}

export const batchCount = (count: number, batchSize: number): number => Math.ceil(count / batchSize);

/**
 * Batches of `batchSize` per rank in an epoch of `count` examples: with several ranks the short
 * last batch is dropped, as DistributedSampler's drop_last does, since it cannot be split evenly.
 */
export const shardedBatchCount = (count: number, batchSize: number, shard: Shard): number =>
  shard.count === 1 ? batchCount(count, batchSize) : Math.floor(count / (batchSize * shard.count));

/** Rank `shard.rank`'s contiguous, equal part of a batch's indices (the whole batch for one rank). */
export function shardOf(indices: Int32Array, shard: Shard): Int32Array {
  if (shard.count === 1) return indices;
  const per = indices.length / shard.count;
  if (!Number.isInteger(per)) throw new Error(`a batch of ${indices.length} examples does not split over ${shard.count} ranks`);
  return indices.subarray(shard.rank * per, (shard.rank + 1) * per);
}

/** The indices of batch `b` in an order (the last batch may be short). */
export function batchIndices(order: Int32Array, b: number, batchSize: number): Int32Array {
  return order.subarray(b * batchSize, Math.min(order.length, (b + 1) * batchSize));
}

/** The shuffled order of training epoch `epoch` (1-based). */
export const epochOrder = (count: number, seed: number, epoch: number): Int32Array =>
  torch.data.permutation(count, mixSeed(seed, STREAM.shuffle, epoch));

/** Sequential batches over the data in stored order, wrapping around: the LoT students' cursor (rank `shard.rank`'s part). */
export function cursorIndices(count: number, batchSize: number, position: number, shard: Shard = { rank: 0, count: 1 }): Int32Array {
  if (shard.count > 1) {
    const global = batchSize * shard.count;
    const b = position % shardedBatchCount(count, batchSize, shard);
    return shardOf(
      Int32Array.from({ length: global }, (_, i) => b * global + i),
      shard,
    );
  }
  const b = position % batchCount(count, batchSize);
  const start = b * batchSize;
  const end = Math.min(count, start + batchSize);
  return Int32Array.from({ length: end - start }, (_, i) => start + i);
}

/** Fixed, unaugmented batches over a whole split (evaluation), kept until disposed. */
export function evalBatches(split: VisionSplit, batchSize: number, labels?: ArrayLike<number>): VisionBatch[] {
  const order = Int32Array.from({ length: split.count }, (_, i) => i);
  return Array.from({ length: batchCount(split.count, batchSize) }, (_, b) =>
    torch.keep(makeBatch(split, batchIndices(order, b, batchSize), { augment: null, seed: 0, ...(labels ? { labels } : {}) })),
  );
}

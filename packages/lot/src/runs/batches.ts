// Deterministic image batches for runs: which images a batch holds and how they
// are augmented depend only on (seed, epoch, batch index) or (seed, cursor
// position), never on what ran before. That is what lets a run stop anywhere
// and resume to exactly the result an uninterrupted run gets.
//
// Inputs are scaled to [−1, 1]; augmentation is the reference recipe's random
// crop with zero padding 4 (of the scaled image, i.e. padding value −1 ... as
// torchvision pads the PIL image with black before normalization) and a
// horizontal flip with probability 1/2.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';

export interface ImageSplit {
  /** N×C×H×W bytes. */
  images: Uint8Array;
  labels: ArrayLike<number>;
  count: number;
  channels: number;
  height: number;
  width: number;
}

export interface VisionBatch {
  /** float32 [B, C, H, W] in [−1, 1]. */
  images: Tensor;
  /** int64 [B]. */
  labels: Tensor;
}

// The engine's data loader draws from the same seeded generator and seed mixer,
// so the runs share its streams' definition.
/** Mixes non-negative integers into one 32-bit seed. */
export const mixSeed = torch.data.seedFor;
export const permutation = torch.data.permutation;

export const STREAM = { shuffle: 1, augment: 2, cursor: 3, cursorAugment: 4, labels: 5 } as const;

export interface BatchOptions {
  augment: boolean;
  /** Seed of this batch's augmentation. */
  seed: number;
  padding?: number;
  /** Replacement labels (the deceptive teacher's permuted labels). */
  labels?: ArrayLike<number>;
}

/** The batch of `split` at `indices`, scaled to [−1, 1] and (optionally) augmented. */
export function makeBatch(split: ImageSplit, indices: ArrayLike<number>, o: BatchOptions): VisionBatch {
  const { channels: C, height: H, width: W } = split;
  const B = indices.length;
  const plane = H * W;
  const size = C * plane;
  const out = new Float32Array(B * size);
  const labels = new BigInt64Array(B);
  const pad = o.padding ?? 4;
  const rng = new torch.data.Rng(o.seed);
  const src = split.images;
  const labelSource = o.labels ?? split.labels;
  for (let k = 0; k < B; ++k) {
    const i = indices[k]!;
    labels[k] = BigInt(labelSource[i]!);
    const base = i * size;
    const dst = k * size;
    if (!o.augment) {
      for (let j = 0; j < size; ++j) out[dst + j] = src[base + j]! / 127.5 - 1;
      continue;
    }
    const dy = rng.int(2 * pad + 1) - pad;
    const dx = rng.int(2 * pad + 1) - pad;
    const flip = (rng.nextUint32() & 1) === 1;
    for (let c = 0; c < C; ++c) {
      const sp = base + c * plane;
      const dp = dst + c * plane;
      for (let y = 0; y < H; ++y) {
        const sy = y + dy;
        for (let x = 0; x < W; ++x) {
          const sx = (flip ? W - 1 - x : x) + dx;
          out[dp + y * W + x] = sy < 0 || sy >= H || sx < 0 || sx >= W ? -1 : src[sp + sy * W + sx]! / 127.5 - 1;
        }
      }
    }
  }
  return {
    images: torch.tensor(out, { shape: [B, C, H, W] }),
    labels: torch.tensor(labels, { shape: [B] }),
  };
}

/** The indices of batch `b` in an order (the last batch may be short). */
export function batchIndices(order: Int32Array, b: number, batchSize: number): Int32Array {
  return order.subarray(b * batchSize, Math.min(order.length, (b + 1) * batchSize));
}

export const batchCount = (count: number, batchSize: number): number => Math.ceil(count / batchSize);

/** The shuffled order of training epoch `epoch` (1-based). */
export const epochOrder = (count: number, seed: number, epoch: number): Int32Array => permutation(count, mixSeed(seed, STREAM.shuffle, epoch));

/** Sequential batches over the data in stored order, wrapping around: the LoT student cursor. */
export function cursorIndices(count: number, batchSize: number, position: number): Int32Array {
  const batches = batchCount(count, batchSize);
  const b = position % batches;
  const start = b * batchSize;
  const end = Math.min(count, start + batchSize);
  const out = new Int32Array(end - start);
  for (let i = 0; i < out.length; ++i) out[i] = start + i;
  return out;
}

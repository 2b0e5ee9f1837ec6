// Data parallelism as PyTorch's DistributedDataParallel does it: every rank starts from rank
// 0's parameters and buffers, and after each backward the gradients are summed over ranks in
// buckets (flattened, about 25 MB each, last layers first) and divided by the world size, so
// each rank's optimizer takes the step one process would take on the union of the batches.
// Our autograd exposes no per-parameter hooks, so the all-reduce is a call after backward
// (LoT's trainer makes it in `Learner.beforeStep`), not overlapped with the backward pass.
import { noGrad } from '../autograd.js';
import type { Module } from '../nn/module.js';
import { tensor, zerosLike } from '../ops/creation.js';
import { cat } from '../ops/shape.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { allReduce, broadcast, getWorldSize, isInitialized } from './process-group.js';

export interface DdpOptions {
  /** Bucket size in MiB (PyTorch's bucket_cap_mb); default 25. */
  bucketCapMb?: number;
  /**
   * Whether `syncBuffers()` copies rank 0's buffers (BatchNorm's running statistics) to every
   * rank, as PyTorch does before each forward with broadcast_buffers=True; default true. Batch
   * statistics themselves are per rank, as in PyTorch's DDP (SyncBatchNorm is not provided).
   */
  broadcastBuffers?: boolean;
}

/** Groups tensors (in the given order) into runs of one dtype and device of at most `capBytes`. */
function bucketsOf(tensors: Tensor[], capBytes: number): Tensor[][] {
  const buckets: Tensor[][] = [];
  let bucket: Tensor[] = [];
  let bytes = 0;
  for (const t of tensors) {
    const size = t.numel() * bytesPer(t);
    const fits = bucket.length === 0 || (bytes + size <= capBytes && t.dtype === bucket[0]!.dtype && t.device === bucket[0]!.device);
    if (!fits) {
      buckets.push(bucket);
      bucket = [];
      bytes = 0;
    }
    bucket.push(t);
    bytes += size;
  }
  if (bucket.length) buckets.push(bucket);
  return buckets;
}

const bytesPer = (t: Tensor): number =>
  ({ float64: 8, int64: 8, float32: 4, int32: 4, float16: 2, bfloat16: 2, int16: 2 })[t.dtype as string] ?? 1;

/** Sends each bucket of `tensors` from rank `src` to all ranks, one flat tensor per bucket. */
function broadcastFlat(buckets: Tensor[][], src: number): void {
  noGrad(() => {
    for (const bucket of buckets) {
      tidy(() => {
        const flat = cat(bucket.map((t) => t.detach().reshape([-1])));
        broadcast(flat, src);
        let offset = 0;
        for (const t of bucket) {
          t.copy_(flat.narrow(0, offset, t.numel()).view(t.shape));
          offset += t.numel();
        }
      });
    }
  });
}

export class DistributedDataParallel {
  readonly module: Module;
  readonly worldSize: number;
  private readonly paramBuckets: Tensor[][];
  private readonly bufferBuckets: Tensor[][];
  private readonly broadcastBuffers: boolean;

  /** Wraps `module` (already on its device); every rank must construct it at the same point with the same model. */
  constructor(module: Module, o: DdpOptions = {}) {
    if (!isInitialized()) throw new Error('DistributedDataParallel: no process group; call torch.distributed.initProcessGroup() first');
    const capMb = o.bucketCapMb ?? 25;
    if (!(capMb > 0)) throw new RangeError(`DistributedDataParallel: bucketCapMb must be positive, got ${capMb}`);
    this.module = module;
    this.worldSize = getWorldSize();
    this.broadcastBuffers = o.broadcastBuffers ?? true;
    const params = module.parameters().filter((p) => p.requiresGrad);
    this.checkSameModel(params);
    // Reverse order: the last layers' gradients are ready first (as PyTorch buckets them).
    this.paramBuckets = bucketsOf([...params].reverse(), capMb * 2 ** 20);
    this.bufferBuckets = bucketsOf(module.buffers(), capMb * 2 ** 20);
    broadcastFlat(bucketsOf(params, capMb * 2 ** 20), 0);
    broadcastFlat(this.bufferBuckets, 0);
  }

  /** Forward through the wrapped module. */
  forward(...args: unknown[]): unknown {
    return (this.module as unknown as { forward(...a: unknown[]): unknown }).forward(...args);
  }

  /**
   * After backward: every gradient becomes the mean of the ranks' gradients. A parameter
   * without a gradient on this rank counts as zeros (and gets a zero gradient), as PyTorch's
   * DDP with find_unused_parameters does, so ranks never disagree on what they send.
   */
  allReduceGradients(): void {
    if (this.worldSize === 1) return;
    noGrad(() => {
      for (const bucket of this.paramBuckets) {
        tidy(() => {
          const grads = bucket.map((p) => {
            let g = p.grad;
            if (!g) {
              p.grad = zerosLike(p);
              g = p.grad as Tensor;
            }
            return g;
          });
          const flat = cat(grads.map((g) => g.reshape([-1])));
          allReduce(flat, 'sum');
          flat.div_(this.worldSize);
          let offset = 0;
          grads.forEach((g, i) => {
            const n = bucket[i]!.numel();
            g.copy_(flat.narrow(0, offset, n).view(g.shape));
            offset += n;
          });
        });
      }
    });
  }

  /** Copies rank 0's buffers to every rank (call before a forward pass; a no-op with broadcastBuffers false). */
  syncBuffers(): void {
    if (this.broadcastBuffers && this.worldSize > 1) broadcastFlat(this.bufferBuckets, 0);
  }

  /** The same parameter count and shapes on every rank, or an error before any collective could mismatch. */
  private checkSameModel(params: Tensor[]): void {
    const signature = params.map((p) => `${p.dtype}[${p.shape.join(',')}]`).join(';');
    let hash = 0;
    for (let i = 0; i < signature.length; i++) hash = (hash * 31 + signature.charCodeAt(i)) % 1_000_003;
    tidy(() => {
      const mine = [params.length, hash];
      const lo = tensor(mine, { dtype: 'int64' });
      const hi = tensor(mine, { dtype: 'int64' });
      allReduce(lo, 'min');
      allReduce(hi, 'max');
      const [a, b] = [lo.tolist() as number[], hi.tolist() as number[]];
      if (a[0] !== b[0] || a[1] !== b[1]) {
        throw new Error(
          'DistributedDataParallel: the ranks hold different models (parameter counts or shapes differ); build the same model on every rank',
        );
      }
    });
  }
}

// DataLoader: batches of a Dataset, shuffled with a seed, collated to tensors,
// transformed, and optionally prepared ahead by worker threads.
import { randint } from '../ops/creation.js';
import { tidy } from '../scope.js';
import { Tensor } from '../tensor.js';
import type { FieldPlan, TransformSpec } from './array-ops.js';
import { defaultCollate } from './collate.js';
import { type ArraySource, type Dataset, arraySourceKey, arraySourceOf, mapIndices, wrapFields } from './dataset.js';
import { STREAM_SHUFFLE, STREAM_TRANSFORM, fieldSeed, permutation, seedFor } from './random.js';
import { Transform } from './transforms.js';
import { WorkerPool } from './workers.js';

/** The batch type defaultCollate makes from items of type T. */
export type Collated<T> = unknown extends T
  ? any
  : T extends Tensor | number | boolean | bigint | ArrayBufferView
    ? Tensor
    : T extends string | null | undefined
      ? T[]
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: Collated<T[K]> }
        : T extends object
          ? { [K in keyof T]: Collated<T[K]> }
          : unknown;

/** Built-in transforms for the batch: one pipeline for the first field, or one per field key. */
export type TransformOption = Transform | Record<string, Transform>;

export interface DataLoaderOptions<B> {
  /** Items per batch (default 1). */
  batchSize?: number;
  /** A new random order every epoch (default false). */
  shuffle?: boolean;
  /**
   * Seeds the shuffling and the random transforms (a non-negative integer). Epoch e
   * shuffles with a generator seeded by hash(seed, e), and batch b of epoch e
   * transforms with hash(seed, e, b, field): the same seed gives the same batches,
   * each epoch differs, and the result does not depend on the number of workers.
   * Without a seed one is drawn from libtorch's default generator when the loader
   * is made, so `torch.manualSeed` makes runs repeatable.
   */
  seed?: number;
  /** Drops the last batch when it would be smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Builds a batch from a list of items (default: defaultCollate). Runs on the main thread, so prefetch must be 0. */
  collate?: (samples: unknown[]) => B;
  /**
   * Built-in, seeded transforms (randomCrop, randomHorizontalFlip, toFloat, normalize...):
   * a Transform for the first field of array batches (or for a single-tensor batch), or
   * { key: Transform } for fields by index ('0', '1') or name. Workers run them when prefetch > 0.
   */
  transform?: TransformOption;
  /** Any function of the batch, run on the main thread after the built-in transforms. */
  map?: (batch: B) => B;
  /**
   * Batches prepared ahead by worker threads while the model computes (default 0: batches
   * are made in the loop's thread when asked for; the batches are identical either way).
   * Needs a dataset backed by arrays: TensorDataset, ArrayDataset, or Subset/ConcatDataset of them.
   */
  prefetch?: number;
  /** Worker threads when prefetch > 0 (default 1). */
  numWorkers?: number;
  /** How long to wait for a worker's batch before failing, in milliseconds (default 60000). */
  timeout?: number;
}

const checkInt = (v: unknown, what: string, min: number): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new RangeError(`DataLoader: ${what} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
};

/**
 * Iterates over batches of a dataset (PyTorch's DataLoader, map-style).
 *
 *     const loader = new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 128, shuffle: true, seed: 0 });
 *     for (let epoch = 0; epoch < 10; ++epoch)
 *       for (const [xb, yb] of loader) torch.tidy(() => step(xb, yb));
 *
 * Each `for..of` is one epoch; epochs are numbered 0, 1, 2... in the order they start
 * (`setEpoch` changes the number of the next one, e.g. when resuming).
 *
 * **Batch lifetime.** The loader owns the tensors of the batches it yields: asking for
 * the next batch (or leaving the loop, by its end, `break` or an exception) disposes the
 * previous batch. A loop that only uses the batch inside its body needs nothing more;
 * to keep a batch past that point, `torch.keep(batch)` it (or clone its tensors), and
 * dispose it yourself later. Consequently, `map` and `collate` must return tensors they
 * created, not tensors owned by someone else (clone those).
 *
 * Call `close()` (or `using loader = ...`) to stop the worker threads; they never keep
 * the process alive, so a script that forgets still exits.
 */
export class DataLoader<T = unknown, B = Collated<T>> implements Iterable<B> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly seed: number;
  readonly prefetch: number;
  readonly numWorkers: number;
  private readonly collateFn: ((samples: unknown[]) => unknown) | null;
  private readonly transform: TransformOption | undefined;
  private readonly mapFn: ((batch: B) => B) | undefined;
  private readonly timeout: number;
  private nextEpoch = 0;
  private pool: WorkerPool | null = null;
  private source: ArraySource | null = null;
  private jobIds = 0;
  /** Jobs already submitted for the next epoch, by the end of the previous one. */
  private ahead: { epoch: number; jobs: Map<number, number>; submitted: number; order: Int32Array } | null = null;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<B> = {}) {
    if (!dataset || typeof dataset.get !== 'function')
      throw new TypeError('DataLoader: the dataset needs a length and a get(index) method');
    checkInt(dataset.length, 'the dataset length', 0);
    this.dataset = dataset;
    this.batchSize = checkInt(options.batchSize ?? 1, 'batchSize', 1);
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.prefetch = checkInt(options.prefetch ?? 0, 'prefetch', 0);
    this.numWorkers = checkInt(options.numWorkers ?? 1, 'numWorkers', 1);
    this.timeout = checkInt(options.timeout ?? 60000, 'timeout', 1);
    this.collateFn = options.collate ?? null;
    this.mapFn = options.map;
    if (options.transform !== undefined && !(options.transform instanceof Transform)) {
      const t = options.transform as unknown;
      if (typeof t === 'function')
        throw new TypeError('DataLoader: transform takes built-in transforms (data.randomCrop(...) ...); pass a function as `map`');
      if (t === null || typeof t !== 'object' || !Object.values(t).every((v) => v instanceof Transform)) {
        throw new TypeError('DataLoader: transform must be a Transform or an object of Transforms by field');
      }
    }
    this.transform = options.transform;
    if (options.seed !== undefined) this.seed = checkInt(options.seed, 'seed', 0);
    else this.seed = tidy(() => randint(0, 2 ** 31 - 1, [1]).item());
    if (this.prefetch > 0) {
      if (this.collateFn) throw new Error('DataLoader: a custom collate runs on the main thread; it needs prefetch: 0');
      if (typeof (dataset as Partial<Record<typeof arraySourceKey, unknown>>)[arraySourceKey] !== 'function') {
        throw new Error(
          'DataLoader: prefetch > 0 needs a dataset backed by arrays (TensorDataset, ArrayDataset, or a Subset/ConcatDataset of them); ' +
            'items made by JavaScript code cannot be read by worker threads. Use prefetch: 0.',
        );
      }
    }
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Batches per epoch (as Python's len(loader)). */
  len(): number {
    return this.length;
  }

  /** The number the next epoch (the next for..of) will have. */
  get epoch(): number {
    return this.nextEpoch;
  }

  /** Sets the number of the next epoch, e.g. to resume a run with the same batches. */
  setEpoch(epoch: number): void {
    this.nextEpoch = checkInt(epoch, 'epoch', 0);
  }

  /** The order of the dataset's items in an epoch. */
  order(epoch: number): Int32Array {
    const n = this.dataset.length;
    if (this.shuffle) return permutation(n, seedFor(this.seed, STREAM_SHUFFLE, epoch));
    return Int32Array.from({ length: n }, (_, i) => i);
  }

  /** Stops the worker threads (a later epoch starts new ones). */
  close(): void {
    if (this.pool) pools.unregister(this);
    this.pool?.close();
    this.pool = null;
    this.ahead = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [Symbol.iterator](): Iterator<B> & Iterable<B> {
    const epoch = this.nextEpoch++;
    const order = this.order(epoch);
    const total = this.length;
    const usePool = this.prefetch > 0 && total > 0;
    if (usePool) this.startPool();
    let jobs = new Map<number, number>(); // batch index -> job id
    let nextBatch = 0;
    let submitted = 0;
    if (this.ahead) {
      // The previous epoch started on this one's first batches; use them if this is the epoch they were for.
      if (this.ahead.epoch === epoch && usePool) ({ jobs, submitted } = this.ahead);
      else for (const id of this.ahead.jobs.values()) this.pool?.cancel(id);
      this.ahead = null;
    }
    let current: unknown;
    let finished = false;
    let pool = this.pool;

    const rowsOf = (b: number, o = order) => o.subarray(b * this.batchSize, Math.min(o.length, (b + 1) * this.batchSize));
    const submit = (e: number, o: Int32Array, b: number): number => {
      const id = ++this.jobIds;
      pool!.submit(id, mapIndices(this.source!, rowsOf(b, o).slice()), seedFor(this.seed, STREAM_TRANSFORM, e, b));
      return id;
    };
    const release = () => {
      if (current !== undefined) disposeUnkept(current);
      current = undefined;
    };
    const finish = () => {
      finished = true;
      release();
      for (const id of jobs.values()) this.pool?.cancel(id);
      jobs.clear();
    };

    const iterator = {
      next: (): IteratorResult<B> => {
        if (finished) return { done: true, value: undefined };
        release();
        if (nextBatch >= total) {
          finish();
          return { done: true, value: undefined };
        }
        const b = nextBatch++;
        const batchSeed = seedFor(this.seed, STREAM_TRANSFORM, epoch, b);
        try {
          if (usePool) {
            if (this.pool !== pool || !pool) {
              // close() was called during the epoch: start workers again and resubmit from here.
              this.startPool();
              pool = this.pool!;
              jobs.clear();
              submitted = b;
            }
            for (; submitted < total && submitted <= b + this.prefetch; ++submitted) jobs.set(submitted, submit(epoch, order, submitted));
            // Near the end, keep the workers busy with the next epoch's first batches (its order is
            // known: it depends only on the seed and the epoch number), unless another epoch began.
            const beyond = b + this.prefetch - total + 1;
            if (beyond > 0 && this.nextEpoch === epoch + 1) {
              if (!this.ahead || this.ahead.epoch !== epoch + 1)
                this.ahead = { epoch: epoch + 1, jobs: new Map(), submitted: 0, order: this.order(epoch + 1) };
              const a = this.ahead;
              for (; a.submitted < Math.min(beyond, total); ++a.submitted) a.jobs.set(a.submitted, submit(a.epoch, a.order, a.submitted));
            }
            const id = jobs.get(b)!;
            jobs.delete(b);
            const fields = pool.take(id);
            current = tidy(() => this.finishBatch(wrapFields(this.source!, fields)));
          } else {
            const rows = rowsOf(b);
            current = tidy(() => this.finishBatch(this.applyTransforms(this.makeBatch(rows), batchSeed)));
          }
        } catch (e) {
          finish();
          throw e;
        }
        return { done: false, value: current as B };
      },
      return: (): IteratorResult<B> => {
        finish();
        return { done: true, value: undefined };
      },
      [Symbol.iterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  private finishBatch(batch: unknown): unknown {
    return this.mapFn ? this.mapFn(batch as B) : batch;
  }

  private makeBatch(rows: Int32Array): unknown {
    if (!this.collateFn && typeof this.dataset.getBatch === 'function') return this.dataset.getBatch(rows.slice());
    const samples = Array.from(rows, (i) => this.dataset.get(i));
    return (this.collateFn ?? defaultCollate)(samples);
  }

  /** The field keys and pipelines the transform option asks for. */
  private transformPlan(): [string, Transform][] {
    const t = this.transform;
    if (t === undefined) return [];
    if (t instanceof Transform) return [['0', t]];
    return Object.entries(t);
  }

  private applyTransforms(batch: unknown, batchSeed: number): unknown {
    const plan = this.transformPlan();
    if (plan.length === 0) return batch;
    if (batch instanceof Tensor) {
      if (plan.length !== 1 || plan[0][0] !== '0')
        throw new Error('DataLoader: the batch is a single tensor; give transform as one Transform');
      return plan[0][1].apply(batch, fieldSeed(batchSeed, '0'));
    }
    if (batch === null || typeof batch !== 'object') throw new Error('DataLoader: transforms need batches of tensors');
    if (this.transform instanceof Transform && !Array.isArray(batch)) {
      throw new Error(`DataLoader: the batch is an object {${Object.keys(batch).join(', ')}}; give transform as { key: Transform }`);
    }
    const out: Record<string, unknown> | unknown[] = Array.isArray(batch) ? [...batch] : { ...(batch as Record<string, unknown>) };
    for (const [key, transform] of plan) {
      const field = (out as Record<string, unknown>)[key];
      if (!(field instanceof Tensor)) throw new Error(`DataLoader: transform for field '${key}', but the batch has no tensor there`);
      (out as Record<string, unknown>)[key] = transform.apply(field, fieldSeed(batchSeed, key));
    }
    return out;
  }

  private startPool(): void {
    if (this.pool) return;
    const source = arraySourceOf(this.dataset);
    if (!source)
      throw new Error(
        'DataLoader: prefetch > 0 needs a dataset backed by arrays (TensorDataset, ArrayDataset, or a Subset/ConcatDataset of them); use prefetch: 0',
      );
    const plans: FieldPlan[] = this.transformPlan().map(([key, t]) => {
      const k = source.structure === 'object' && this.transform instanceof Transform ? null : source.fields.findIndex((f) => f.key === key);
      if (k === null)
        throw new Error(
          `DataLoader: the batch is an object {${source.fields.map((f) => f.key).join(', ')}}; give transform as { key: Transform }`,
        );
      if (k < 0) throw new Error(`DataLoader: transform for field '${key}', but the batch has no tensor there`);
      return { field: k, specs: t.specs as TransformSpec[] };
    });
    this.source = source;
    this.pool = new WorkerPool(Math.min(this.numWorkers, Math.max(1, this.length)), source.fields, plans, this.timeout);
    pools.register(this, this.pool, this);
  }
}

/** A loader dropped without close() stops its workers when it is collected. */
const pools = new FinalizationRegistry<WorkerPool>((pool) => pool.close());

function disposeUnkept(value: unknown, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Tensor) {
    if (!value.kept && !value.isDisposed) value.dispose();
    return;
  }
  if (Array.isArray(value)) for (const v of value) disposeUnkept(v, seen);
  else if (value instanceof Map) for (const v of value.values()) disposeUnkept(v, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) disposeUnkept(v, seen);
}

// The main thread's side of the data workers. Training loops are synchronous
// (for..of over a DataLoader, synchronous libtorch ops), so results are read
// without the event loop: each worker answers on its own MessagePort, which
// receiveMessageOnPort drains, and bumps a shared counter the main thread
// sleeps on (Atomics.wait) when the batch it needs is not there yet.
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { ArrayBatch, FieldPlan, RawField } from './array-ops.js';
import type { Job, JobResult, WorkerInit } from './worker.js';

const workerUrl = new URL('./worker.js', import.meta.url);

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly pending = new Set<number>();
  private readonly done = new Map<number, JobResult>();
  private next = 0;
  private closed = false;

  constructor(
    count: number,
    fields: RawField[],
    plans: FieldPlan[],
    private readonly timeoutMs: number,
  ) {
    for (let w = 0; w < count; ++w) {
      const { port1, port2 } = new MessageChannel();
      const init: WorkerInit = { fields, plans, port: port2, signal: this.signal };
      const worker = new Worker(workerUrl, { workerData: init, transferList: [port2] });
      // Neither keeps the process alive: a script that never calls close() still exits.
      worker.unref();
      port1.unref();
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Queues a batch; jobs go round robin, so consecutive batches are prepared in parallel. */
  submit(id: number, rows: Int32Array, batchSeed: number): void {
    if (this.closed) throw new Error('DataLoader: the worker pool is closed');
    const job: Job = { id, rows, batchSeed };
    this.pending.add(id);
    this.workers[this.next].postMessage(job, [rows.buffer as ArrayBuffer]);
    this.next = (this.next + 1) % this.workers.length;
  }

  /** Forgets a submitted job (its result is dropped when it arrives). */
  cancel(id: number): void {
    this.pending.delete(id);
    this.done.delete(id);
  }

  /** Blocks until job `id` is finished; returns its fields. */
  take(id: number): ArrayBatch[] {
    if (!this.pending.has(id) && !this.done.has(id)) throw new Error(`DataLoader: batch job ${id} was never submitted`);
    const start = Date.now();
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      this.drain();
      const result = this.done.get(id);
      if (result) {
        this.done.delete(id);
        this.pending.delete(id);
        if ('error' in result) throw new Error(`DataLoader worker: ${result.error}`);
        return result.fields;
      }
      const left = this.timeoutMs - (Date.now() - start);
      if (left <= 0) throw new Error(`DataLoader: no batch from the worker threads in ${this.timeoutMs} ms (a worker may have crashed)`);
      Atomics.wait(this.signal, 0, seen, Math.min(left, 1000));
    }
  }

  private drain(): void {
    for (const port of this.ports) {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const r = m.message as JobResult;
        if (this.pending.has(r.id)) this.done.set(r.id, r);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.workers) void w.terminate();
    for (const p of this.ports) p.close();
    this.pending.clear();
    this.done.clear();
  }
}

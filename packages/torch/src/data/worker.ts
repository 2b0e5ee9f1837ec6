// A data worker thread: gathers rows from shared memory, applies the built-in
// transforms and transfers the finished batch to the loader. It never loads
// libtorch. Messages go back on a MessagePort that the main thread reads
// synchronously (receiveMessageOnPort), and a shared counter wakes it.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { type FieldPlan, type RawField, produceBatch } from './array-ops.js';

export interface WorkerInit {
  fields: RawField[];
  plans: FieldPlan[];
  port: MessagePort;
  signal: Int32Array;
}
export interface Job {
  id: number;
  rows: Int32Array;
  batchSeed: number;
}
export type JobResult = { id: number; fields: import('./array-ops.js').ArrayBatch[] } | { id: number; error: string };

const { fields, plans, port, signal } = workerData as WorkerInit;

parentPort!.on('message', (job: Job) => {
  let result: JobResult;
  let transfer: ArrayBuffer[] = [];
  try {
    const out = produceBatch(fields, job.rows, plans, job.batchSeed);
    result = { id: job.id, fields: out };
    transfer = [...new Set(out.map((f) => f.data.buffer as ArrayBuffer))];
  } catch (e) {
    result = { id: job.id, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(result, transfer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});

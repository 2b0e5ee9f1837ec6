// @lot/torch in a worker thread: loading it there is an Error that says to use
// the main thread (its native registries are unsynchronized process globals),
// and the main thread's tensors are unaffected.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import * as torch from '../src/index.js';

const indexUrl = new URL('../src/index.js', import.meta.url).href;
const addonPath = fileURLToPath(new URL('../../build/Release/lot_torch.node', import.meta.url));

/** Runs `source` (an ES module) in a worker; resolves with the message it posts. */
function runInWorker(source: string, workerData: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), { workerData });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the worker exited (code ${code}) without answering`)));
  });
}

// The worker reports what loading threw (or that it did not throw).
const tryImport = `
import { parentPort, workerData } from 'node:worker_threads';
try {
  const torch = await import(workerData);
  parentPort.postMessage({ loaded: true, sum: torch.tensor([1, 2, 3]).sum().item() });
} catch (e) {
  parentPort.postMessage({ loaded: false, message: String(e?.message ?? e) });
}`;

const tryRequireAddon = `
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
try {
  createRequire(workerData)(workerData);
  parentPort.postMessage({ loaded: true });
} catch (e) {
  parentPort.postMessage({ loaded: false, message: String(e?.message ?? e) });
}`;

test('importing @lot/torch in a worker thread throws an Error that says to use the main thread', async () => {
  const x = torch.tensor([1, 2, 3]);
  const before = torch.memoryStats().liveTensors;
  const result = (await runInWorker(tryImport, indexUrl)) as { loaded: boolean; message?: string };
  assert.equal(result.loaded, false);
  assert.match(result.message!, /@lot\/torch can only be used from the main thread, not from a worker thread/);
  // The main thread goes on as before.
  // Nothing is left behind; the count can only drop (the collector may free earlier tests' leftovers meanwhile).
  assert.ok(torch.memoryStats().liveTensors <= before, `${torch.memoryStats().liveTensors} live tensors after, ${before} before`);
  assert.deepEqual(x.add(1).tolist(), [2, 3, 4]);
});

test('requiring the native addon itself in a worker thread throws too', async () => {
  const result = (await runInWorker(tryRequireAddon, addonPath)) as { loaded: boolean; message?: string };
  assert.equal(result.loaded, false);
  assert.match(result.message!, /native addon can only be used from the thread that loaded it first \(the main thread\)/);
  assert.deepEqual(
    torch
      .tensor([
        [1, 2],
        [3, 4],
      ])
      .t()
      .tolist(),
    [
      [1, 3],
      [2, 4],
    ],
  );
});

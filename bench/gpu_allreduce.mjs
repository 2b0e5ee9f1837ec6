#!/usr/bin/env node
// An all-reduce through torch.distributed over NCCL, one rank per GPU (one rank on a one-GPU
// machine), started as torchrun would (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT):
// checks the sum and times all-reduces of a 25 MB float32 tensor (DDP's bucket size).
//   node bench/gpu_allreduce.mjs [--backend nccl|gloo] [--ranks N] [--mb 25] [--iters 20]
// --backend gloo runs the same on the CPU (a check of the script where no GPU is). Where the
// backend cannot run (no NCCL in this build, no GPU) it prints why and exits 0 ("skipped");
// a failed rank or a wrong sum exits non-zero. Prints a summary and, last, one JSON line.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as torch from '../packages/torch/dist/src/index.js';
import { median, now, parseArgs } from './common.mjs';

const args = parseArgs(process.argv.slice(2));
const backend = args.backend ?? 'nccl';
const mb = Number(args.mb ?? 25);
const iters = Number(args.iters ?? 20);
const timeoutMs = Number(args['timeout-ms'] ?? 120000);

if (process.env.LOT_ALLREDUCE_RANK !== undefined) await rank();
else await launch();

/** Why `backend` cannot run here, or null. */
function skipReason() {
  const backends = torch.distributed.availableBackends();
  if (backends.length === 0) return "this build has no torch.distributed (Gloo's headers were missing when the addon was built)";
  if (!backends.includes(backend)) {
    return backend === 'nccl'
      ? `this build has no NCCL backend (has: ${backends.join(', ')}): it needs a CUDA libtorch and NCCL's and CUDA's headers (pip's nvidia-nccl / nvidia-cuda-runtime packages or a CUDA toolkit) when the addon is built`
      : `this build has no ${backend} backend (has: ${backends.join(', ')})`;
  }
  if (backend === 'nccl' && !torch.cuda.isAvailable()) return torch.cuda.unavailableReason();
  return null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function launch() {
  const why = skipReason();
  if (why) {
    console.log(`all-reduce over ${backend}: skipped: ${why}`);
    console.log(JSON.stringify({ bench: 'gpu_allreduce', backend, skipped: why }));
    return;
  }
  const ranks = Number(args.ranks ?? (backend === 'nccl' ? torch.cuda.deviceCount() : 2));
  const port = await freePort();
  const self = fileURLToPath(import.meta.url);
  const results = await Promise.all(
    Array.from(
      { length: ranks },
      (_, r) =>
        new Promise((resolve) => {
          const env = {
            ...process.env,
            LOT_ALLREDUCE_RANK: '1',
            RANK: String(r),
            LOCAL_RANK: String(r),
            WORLD_SIZE: String(ranks),
            MASTER_ADDR: '127.0.0.1',
            MASTER_PORT: String(port),
          };
          const child = spawn(process.execPath, [self, ...process.argv.slice(2)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          child.stdout.on('data', (d) => (out += d));
          child.stderr.on('data', (d) => (err += d));
          const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 30000);
          child.on('close', (code, signal) => {
            clearTimeout(timer);
            const last = out.trim().split('\n').pop();
            let parsed = null;
            try {
              parsed = last ? JSON.parse(last) : null;
            } catch {
              /* reported below */
            }
            resolve({ rank: r, code: code ?? signal, result: parsed, stderr: err });
          });
        }),
    ),
  );
  const bad = results.filter((r) => r.code !== 0 || !r.result?.ok);
  const r0 = results[0].result;
  if (bad.length === 0) {
    console.log(
      `all-reduce over ${backend}, ${ranks} rank(s) on ${results.map((r) => r.result.device).join(', ')}: sum correct; ` +
        `${mb} MB float32: median ${(r0.medianS * 1e3).toFixed(2)} ms, algorithm bandwidth ${r0.algGBps.toFixed(1)} GB/s, ` +
        `bus bandwidth ${r0.busGBps.toFixed(1)} GB/s (rank 0, ${iters} iterations)`,
    );
  } else {
    for (const r of bad) {
      console.log(`all-reduce over ${backend}: rank ${r.rank} FAILED (exit ${r.code}): ${r.result?.error ?? ''}\n${r.stderr.trim()}`);
    }
  }
  console.log(JSON.stringify({ bench: 'gpu_allreduce', backend, ranks, ok: bad.length === 0, ranksResults: results.map((r) => r.result) }));
  process.exitCode = bad.length === 0 ? 0 : 1;
}

async function rank() {
  const r = Number(process.env.RANK);
  const world = Number(process.env.WORLD_SIZE);
  const device = backend === 'nccl' ? `cuda:${process.env.LOCAL_RANK}` : 'cpu';
  const sync = backend === 'nccl' ? () => torch.cuda.synchronize(device) : () => {};
  try {
    if (backend === 'nccl') torch.cuda.setDevice(device); // as torchrun scripts do: 'cuda' is this rank's GPU
    torch.distributed.initProcessGroup({ backend, timeoutMs });
    // Correctness: rank r contributes r + 1 everywhere; the sum is world(world + 1)/2.
    const small = torch.full([1024], r + 1, { device });
    torch.distributed.allReduce(small);
    const expected = (world * (world + 1)) / 2;
    const values = small.to('cpu').data();
    const ok = values.every((v) => v === expected);
    // Timing: a DDP-bucket-sized tensor, warmed up, synchronized before each clock reading.
    const numel = Math.round((mb * 1e6) / 4);
    const big = torch.ones([numel], { device });
    for (let i = 0; i < 3; ++i) torch.distributed.allReduce(big);
    sync();
    const times = [];
    for (let i = 0; i < iters; ++i) {
      const t0 = now();
      torch.distributed.allReduce(big);
      sync();
      times.push(now() - t0);
    }
    const medianS = median(times);
    // As nccl-tests: algorithm bandwidth = bytes / time; bus bandwidth = that x 2(n-1)/n (0 for one rank).
    const algGBps = (numel * 4) / medianS / 1e9;
    const busGBps = (algGBps * 2 * (world - 1)) / world;
    torch.distributed.barrier();
    torch.distributed.destroyProcessGroup();
    console.log(JSON.stringify({ rank: r, device, ok, got: values[0], expected, medianS, algGBps, busGBps }));
    process.exitCode = ok ? 0 : 1;
  } catch (e) {
    console.log(JSON.stringify({ rank: r, device, ok: false, error: e.message }));
    process.exitCode = 1;
  }
}

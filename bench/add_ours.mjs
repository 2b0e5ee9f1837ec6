// Per-op overhead, our side: N adds of 1-element float32 tensors, results disposed.
// Prints one JSON line: { tidy, dispose: wall µs/op; tidyCpu, disposeCpu: process CPU µs/op; threads }.
import * as torch from '../packages/torch/dist/src/index.js';
import { parseArgs, now } from './common.mjs';

const args = parseArgs(process.argv.slice(2));
const n = Number(args.n ?? 200000);
const chunk = Number(args.chunk ?? 1000);
const threads = Number(args.threads ?? 1);
torch.setNumThreads(threads);

const a = torch.tensor([1.5]);
const b = torch.tensor([2.5]);

function runTidy(count) {
  for (let done = 0; done < count; done += chunk) {
    const m = Math.min(chunk, count - done);
    torch.tidy(() => {
      for (let i = 0; i < m; ++i) a.add(b);
    });
  }
}
function runDispose(count) {
  for (let i = 0; i < count; ++i) {
    const c = a.add(b);
    c.dispose();
  }
}

// Warm up both idioms (JIT, op id resolution, allocator caches).
runTidy(20000);
runDispose(20000);

const order = args.order === 'dispose-first' ? ['dispose', 'tidy'] : ['tidy', 'dispose'];
const result = { threads };
for (const kind of order) {
  const t0 = now();
  const c0 = process.cpuUsage();
  if (kind === 'tidy') runTidy(n);
  else runDispose(n);
  const c1 = process.cpuUsage(c0);
  result[kind] = ((now() - t0) / n) * 1e6;
  // CPU time of the whole process (GC threads included): steadier than wall time on a busy machine.
  result[`${kind}Cpu`] = (c1.user + c1.system) / n;
}
if (torch.memoryStats().liveTensors !== 2) throw new Error(`leak: ${torch.memoryStats().liveTensors} live tensors`);
console.log(JSON.stringify(result));

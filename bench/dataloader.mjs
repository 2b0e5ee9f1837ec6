// DataLoader benchmark: how much of a training loop's wall time is spent waiting
// for data. Trains a ResNet-20-style CNN (functional ops, hand-written SGD with
// momentum under noGrad) on synthetic uint8 28x28x1 images of Fashion-MNIST's size,
// batch 128, with random crop (padding 4) + horizontal flip + normalize, and times
// the iterator's next() against the whole loop, with prefetch off (batches made in
// the loop's thread by tensor ops) and on (worker threads, TypedArray code).
// Goal: waiting < 5% of the wall time. Prints a table and one JSON line.
//
//   node bench/dataloader.mjs [--steps 30] [--n 60000] [--batch 128] [--prefetch 4]
//                             [--workers 1] [--threads <libtorch threads>] [--model resnet20|small]
// --model small swaps in a one-conv network whose step is a few milliseconds: a
// stand-in for a fast device, where data preparation is no longer hidden by compute.
import * as torch from '../packages/torch/dist/src/index.js';
import { parseArgs, now } from './common.mjs';

const args = parseArgs(process.argv.slice(2));
const steps = Number(args.steps ?? 30);
const n = Number(args.n ?? 60000);
const batch = Number(args.batch ?? 128);
const prefetch = Number(args.prefetch ?? 4);
const workers = Number(args.workers ?? 1);
const model = args.model ?? 'resnet20';
if (args.threads) torch.setNumThreads(Number(args.threads));
torch.manualSeed(0);
const F = torch.nn.functional;
const { data } = torch;

// ---- synthetic Fashion-MNIST-sized data (deterministic) ----
const pixels = new Uint8Array(n * 784);
let h = 12345;
for (let i = 0; i < pixels.length; ++i) {
  h = (Math.imul(h, 1103515245) + 12345) >>> 0;
  pixels[i] = h >>> 24;
}
const labels = BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 7) % 10));
const dataset = new data.TensorDataset(torch.tensor(pixels, { shape: [n, 1, 28, 28] }), torch.tensor(labels));
const transform = data.compose(
  data.randomCrop(28, { padding: 4 }),
  data.randomHorizontalFlip(),
  data.toFloat(),
  data.normalize(0.286, 0.353),
);

// ---- ResNet-20 for 1x28x28: 16-32-64 channels, 3 blocks per stage, 1x1 projection shortcuts ----
const params = [];
const convW = (cout, cin, k) => {
  const w = torch
    .randn([cout, cin, k, k])
    .mul(Math.sqrt(2 / (cin * k * k)))
    .requiresGrad_();
  params.push(w);
  return w;
};
const bn = (c) => {
  const b = {
    weight: torch.ones([c]).requiresGrad_(),
    bias: torch.zeros([c]).requiresGrad_(),
    mean: torch.zeros([c]),
    var: torch.ones([c]),
  };
  params.push(b.weight, b.bias);
  return b;
};
const bnF = (x, b) => F.batchNorm(x, b.mean, b.var, { weight: b.weight, bias: b.bias, training: true, momentum: 0.1, eps: 1e-5 });
const stem = { conv: convW(16, 1, 3), bn: bn(16) };
const blocks = [];
let cin = 16;
for (const [width, stride0] of [
  [16, 1],
  [32, 2],
  [64, 2],
]) {
  for (let i = 0; i < 3; ++i) {
    const stride = i === 0 ? stride0 : 1;
    const b = { stride, conv1: convW(width, cin, 3), bn1: bn(width), conv2: convW(width, width, 3), bn2: bn(width) };
    if (stride !== 1 || cin !== width) b.short = { conv: convW(width, cin, 1), bn: bn(width) };
    blocks.push(b);
    cin = width;
  }
}
const fcW = torch
  .randn([10, 64])
  .mul(Math.sqrt(1 / 64))
  .requiresGrad_();
const fcB = torch.zeros([10]).requiresGrad_();
params.push(fcW, fcB);

const smallW = torch
  .randn([8, 1, 3, 3])
  .mul(Math.sqrt(2 / 9))
  .requiresGrad_();
const smallFc = torch
  .randn([10, 8 * 14 * 14])
  .mul(Math.sqrt(1 / (8 * 14 * 14)))
  .requiresGrad_();
if (model === 'small') params.splice(0, params.length, smallW, smallFc);
if (model !== 'small' && model !== 'resnet20') throw new Error(`--model must be resnet20 or small, got ${model}`);
const momentum = params.map((p) => torch.zerosLike(p));

function forward(x) {
  if (model === 'small') return F.linear(F.maxPool2d(F.relu(F.conv2d(x, smallW, null, { padding: 1 })), 2).flatten(1), smallFc);
  let out = F.relu(bnF(F.conv2d(x, stem.conv, null, { padding: 1 }), stem.bn));
  for (const b of blocks) {
    let y = F.relu(bnF(F.conv2d(out, b.conv1, null, { stride: b.stride, padding: 1 }), b.bn1));
    y = bnF(F.conv2d(y, b.conv2, null, { padding: 1 }), b.bn2);
    const s = b.short ? bnF(F.conv2d(out, b.short.conv, null, { stride: b.stride }), b.short.bn) : out;
    out = F.relu(y.add(s));
  }
  return F.linear(F.adaptiveAvgPool2d(out, 1).flatten(1), fcW, fcB);
}

let lastLoss = NaN;
function trainStep(x, y) {
  torch.tidy(() => {
    const loss = F.crossEntropy(forward(x), y);
    loss.backward();
    torch.noGrad(() => {
      params.forEach((p, i) => {
        momentum[i].mul_(0.9).add_(p.grad);
        p.add_(momentum[i], model === 'small' ? -0.002 : -0.05);
        p.grad = null;
      });
    });
    lastLoss = loss.item();
  });
}

/** Trains `count` steps from a fresh loader; returns wall time and time spent inside next(). */
function measure(options, count, train = true) {
  const loader = new data.DataLoader(dataset, { batchSize: batch, shuffle: true, seed: 1, dropLast: true, transform, ...options });
  const liveBefore = torch.memoryStats().liveTensors;
  let wait = 0;
  let firstWait = 0;
  let done = 0;
  const start = now();
  let it = loader[Symbol.iterator]();
  while (done < count) {
    const t0 = now();
    let r = it.next();
    if (r.done) {
      it = loader[Symbol.iterator]();
      r = it.next();
    }
    const dt = now() - t0;
    wait += dt;
    if (done === 0) firstWait = dt;
    const [x, y] = r.value;
    if (train) trainStep(x, y);
    done++;
  }
  const wall = now() - start;
  it.return();
  loader.close();
  const leaked = torch.memoryStats().liveTensors - liveBefore;
  return { wall, wait, firstWait, count, leaked };
}

// Warm up the model, the allocator and the JIT (not timed).
measure({ prefetch: 0 }, 3);
const modes = [
  { name: 'prefetch 0 (in-thread tensor ops)', options: { prefetch: 0 } },
  { name: `prefetch ${prefetch}, ${workers} worker${workers > 1 ? 's' : ''}`, options: { prefetch, numWorkers: workers } },
];
const results = {};
console.log(
  `${model === 'small' ? 'one-conv CNN' : 'ResNet-20-style CNN'}, ${n} synthetic 28x28x1 uint8 images, batch ${batch}, crop(pad 4)+flip+normalize, ${steps} steps, libtorch threads ${torch.getNumThreads()}`,
);
for (const m of modes) {
  const dataOnly = measure(m.options, Math.min(steps * 2, 100), false);
  const r = measure(m.options, steps);
  const waitFrac = r.wait / r.wall;
  const steadyFrac = (r.wait - r.firstWait) / (r.wall - r.firstWait);
  results[m.options.prefetch === 0 ? 'inThread' : 'workers'] = {
    waitFraction: +waitFrac.toFixed(4),
    waitFractionAfterFirstBatch: +steadyFrac.toFixed(4),
    waitMsPerBatch: +((1000 * r.wait) / r.count).toFixed(2),
    firstBatchMs: +(1000 * r.firstWait).toFixed(1),
    stepMs: +((1000 * r.wall) / r.count).toFixed(1),
    imagesPerSecond: +((r.count * batch) / r.wall).toFixed(1),
    dataOnlyMsPerBatch: +((1000 * dataOnly.wall) / dataOnly.count).toFixed(2),
    leakedTensors: r.leaked + dataOnly.leaked,
  };
  const o = results[m.options.prefetch === 0 ? 'inThread' : 'workers'];
  console.log(
    `${m.name.padEnd(36)} waiting ${(100 * waitFrac).toFixed(2)}% of wall time (${(100 * steadyFrac).toFixed(2)}% after the first batch), ` +
      `${o.waitMsPerBatch} ms/batch waited, first batch ${o.firstBatchMs} ms, step ${o.stepMs} ms, ${o.imagesPerSecond} img/s; ` +
      `loader alone ${o.dataOnlyMsPerBatch} ms/batch; leaked tensors ${o.leakedTensors}`,
  );
}
const goal = results.workers.waitFraction < 0.05;
console.log(
  `goal (< 5% waiting with prefetch): ${goal ? 'met' : 'NOT met'}; in-thread/worker waiting ratio ${(results.inThread.waitFraction / Math.max(results.workers.waitFraction, 1e-9)).toFixed(1)}x; loss ${lastLoss.toFixed(3)}`,
);
console.log(
  JSON.stringify({
    bench: 'dataloader',
    model,
    steps,
    batch,
    n,
    threads: torch.getNumThreads(),
    prefetch,
    workers,
    ...results,
    goalMet: goal,
  }),
);

// ResNet-20 training step, our side: functional ops, parameters as plain
// tensors with requiresGrad, cross-entropy, backward, SGD with momentum.
// --device cpu (default) | cuda | cuda:N: parameters, buffers and the batch live there, and
// the GPU is synchronized before each clock reading.
// Prints one JSON line: { imagesPerSecond, stepMs, threads, loss, device }.
import * as torch from '../packages/torch/dist/src/index.js';
import { parseArgs, now } from './common.mjs';

const F = torch.nn.functional;
const args = parseArgs(process.argv.slice(2));
const threads = Number(args.threads ?? 2);
const batch = Number(args.batch ?? 128);
const steps = Number(args.steps ?? 10);
const warmup = Number(args.warmup ?? 3);
const device = args.device ?? 'cpu';
const on = { device };
const sync = device.startsWith('cuda') ? () => torch.cuda.synchronize() : () => {};
torch.setNumThreads(threads);
torch.manualSeed(0);

const params = [];
const buffers = [];
function convW(cout, cin, k) {
  const w = torch.randn([cout, cin, k, k], on).mul_(Math.sqrt(2 / (cin * k * k)));
  w.requiresGrad_(true);
  torch.keep(w);
  params.push(w);
  return w;
}
function bn(c) {
  const p = {
    weight: torch.ones([c], on).requiresGrad_(true),
    bias: torch.zeros([c], on).requiresGrad_(true),
    mean: torch.zeros([c], on),
    var: torch.ones([c], on),
  };
  params.push(p.weight, p.bias);
  buffers.push(p.mean, p.var);
  return p;
}
const bnF = (x, p) => F.batchNorm(x, p.mean, p.var, { weight: p.weight, bias: p.bias, training: true, momentum: 0.1, eps: 1e-5 });

const stem = { conv: convW(16, 3, 3), bn: bn(16) };
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
  .randn([10, 64], on)
  .mul_(Math.sqrt(1 / 64))
  .requiresGrad_(true);
const fcB = torch.zeros([10], on).requiresGrad_(true);
params.push(fcW, fcB);
const momentum = params.map((p) => torch.zerosLike(p));

function forward(x) {
  let h = F.relu(bnF(F.conv2d(x, stem.conv, null, { padding: 1 }), stem.bn));
  for (const b of blocks) {
    let o = F.relu(bnF(F.conv2d(h, b.conv1, null, { stride: b.stride, padding: 1 }), b.bn1));
    o = bnF(F.conv2d(o, b.conv2, null, { padding: 1 }), b.bn2);
    const s = b.short ? bnF(F.conv2d(h, b.short.conv, null, { stride: b.stride }), b.short.bn) : h;
    h = F.relu(o.add(s));
  }
  const pooled = F.adaptiveAvgPool2d(h, 1).flatten(1);
  return F.linear(pooled, fcW, fcB);
}

const lr = 0.1;
const mom = 0.9;
const x = torch.randn([batch, 3, 32, 32], on);
const y = torch.randint(0, 10, [batch], on);

function step() {
  return torch.tidy(() => {
    const loss = F.crossEntropy(forward(x), y);
    loss.backward();
    torch.noGrad(() => {
      for (let i = 0; i < params.length; ++i) {
        const p = params[i];
        momentum[i].mul_(mom).add_(p.grad);
        p.add_(momentum[i], -lr);
        p.grad = null;
      }
    });
    return loss.item();
  });
}

for (let i = 0; i < warmup; ++i) step();
sync();
const t0 = now();
let loss = 0;
for (let i = 0; i < steps; ++i) loss = step();
sync();
const dt = now() - t0;
console.log(
  JSON.stringify({
    imagesPerSecond: (steps * batch) / dt,
    stepMs: (dt / steps) * 1e3,
    threads,
    loss,
    device,
    liveTensors: torch.memoryStats().liveTensors,
  }),
);

// The README's main job for now: trains a two-layer network on a synthetic
// classification task with plain autograd and SGD, printing the loss as it falls.
import * as torch from '../src/index.js';

const F = torch.nn.functional;
torch.manualSeed(0);

const samples = 2048;
const features = 20;
const classes = 4;
const hidden = 64;

// A task with a known answer: the class is the argmax of a fixed random projection.
const inputs = torch.randn([samples, features]);
const projection = torch.randn([features, classes]);
const labels = inputs.matmul(projection).argmax(1);

const w1 = torch.randn([hidden, features]).mul_(Math.sqrt(2 / features)).requiresGrad_();
const b1 = torch.zeros([hidden], { requiresGrad: true });
const w2 = torch.randn([classes, hidden]).mul_(Math.sqrt(1 / hidden)).requiresGrad_();
const b2 = torch.zeros([classes], { requiresGrad: true });
const parameters = [w1, b1, w2, b2];

const lr = 0.1;
const batch = 128;
const started = performance.now();
for (let epoch = 1; epoch <= 15; epoch++) {
  let total = 0;
  const order = torch.randperm(samples);
  for (let start = 0; start < samples; start += batch) {
    total += torch.tidy(() => {
      const idx = order.slice(0, start, start + batch);
      const x = inputs.indexSelect(0, idx);
      const y = labels.indexSelect(0, idx);
      const logits = F.linear(F.relu(F.linear(x, w1, b1)), w2, b2);
      const loss = F.crossEntropy(logits, y);
      loss.backward();
      torch.noGrad(() => {
        for (const p of parameters) {
          const g = p.grad!;
          p.sub_(g, lr);
          g.zero_();
        }
      });
      return loss.item() * idx.shape[0];
    });
  }
  order.dispose();
  const accuracy = torch.tidy(() => torch.noGrad(() =>
    F.linear(F.relu(F.linear(inputs, w1, b1)), w2, b2).argmax(1).eq(labels).float().mean().item()));
  console.log(`epoch ${String(epoch).padStart(2)}  loss ${(total / samples).toFixed(4)}  train accuracy ${(accuracy * 100).toFixed(1)}%`);
}
const { liveTensors } = torch.memoryStats();
console.log(`done in ${((performance.now() - started) / 1000).toFixed(2)} s on ${torch.getNumThreads()} threads; ${liveTensors} tensors live`);

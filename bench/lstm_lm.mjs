// LSTM language-model training step: ours vs PyTorch in one run.
// LoT's PTB configuration (docs/METHOD.md#lstm, preset ptb-lstm): Zaremba et al.'s "medium"
// model, embedding 10000->650, 2-layer LSTM 650 with dropout 0.45 (between the layers and on
// its input and output), linear 650->10000 (not tied); batch 20 x 35 tokens, cross entropy,
// backward, gradient-norm clip 0.2, SGD lr 30 momentum 0.3; (h, c) carried over, detached.
// Ours: the product's LstmLm (packages/lot/dist/src/tasks/lm/lstm.js) with torch.optim.SGD and
// torch.optim.clipGradNorm_, as `lot train lm` builds them (runtime.ts). PyTorch: lstm_lm.py in a
// python3 child with the same thread count (nn.LSTM, torch.optim.SGD, clip_grad_norm_). Rounds
// alternate between the two so that both see the same machine noise; each side is idle while
// the other runs.
//   node bench/lstm_lm.mjs [--threads 1] [--rounds 5] [--steps 4] [--lr 30 --momentum 0.3
//                          --clip 0.2 --dropout 0.45] [--json]
import * as torch from '../packages/torch/dist/src/index.js';
import { LstmLm } from '../packages/lot/dist/src/tasks/lm/lstm.js';
import { compare, parseArgs } from './lstm_lm.harness.mjs';

const args = parseArgs(process.argv.slice(2));
const threads = Number(args.threads ?? 1);
const V = Number(args.vocab ?? 10000),
  Hd = Number(args.hidden ?? 650),
  layers = Number(args.layers ?? 2);
const bptt = Number(args.bptt ?? 35),
  batch = Number(args.batch ?? 20);
const lr = Number(args.lr ?? 30),
  momentum = Number(args.momentum ?? 0.3),
  clip = Number(args.clip ?? 0.2),
  dropout = Number(args.dropout ?? 0.45);
torch.setNumThreads(threads);
torch.manualSeed(0);
const F = torch.nn.functional;

const model = new LstmLm({ vocab: V, size: Hd, layers, dropout }).train();
const optimizer = new torch.optim.SGD(model.parameters(), { lr, momentum });
const data = torch.keep(torch.randint(0, V, [bptt, batch]));
const target = torch.keep(torch.randint(0, V, [bptt * batch]));
let hidden = torch.keep([torch.zeros([layers, batch, Hd]), torch.zeros([layers, batch, Hd])]);

function step() {
  const [loss, next] = torch.tidy(() => {
    optimizer.zeroGrad();
    const { logits, state } = model.step(data, hidden);
    const loss = F.crossEntropy(logits, target);
    loss.backward();
    torch.optim.clipGradNorm_(model.parameters(), clip);
    optimizer.step();
    return [loss, state.map((t) => t.detach())];
  });
  torch.dispose(hidden);
  hidden = torch.keep(next);
  return loss;
}

await compare({
  name: 'lstm_lm',
  describe: `LSTM LM step: vocab ${V}, ${layers}x${Hd} LSTM, dropout ${dropout}, batch ${batch} x ${bptt} tokens, CE + backward + clip ${clip} + SGD lr ${lr} momentum ${momentum}`,
  unit: 'tokens/s',
  perStep: bptt * batch,
  python: [
    'lstm_lm.py',
    '--threads',
    String(threads),
    '--vocab',
    String(V),
    '--hidden',
    String(Hd),
    '--layers',
    String(layers),
    '--bptt',
    String(bptt),
    '--batch',
    String(batch),
    '--lr',
    String(lr),
    '--momentum',
    String(momentum),
    '--clip',
    String(clip),
    '--dropout',
    String(dropout),
  ],
  step,
  threads,
  args,
});

// LSTM language-model training step: ours vs PyTorch in one run.
// The model of pytorch/examples word_language_model (medium): embedding 10000->650,
// 2-layer LSTM 650 with dropout 0.5, linear 650->10000; batch 20 x 35 tokens,
// cross entropy, backward, gradient clipping to norm 0.25, plain SGD.
// Ours runs in this process; PyTorch in a python3 child (lstm_lm.py) with the
// same thread count. Rounds alternate between the two so that both see the same
// machine noise; each side is idle while the other runs.
//   node bench/lstm_lm.mjs [--threads 2] [--rounds 5] [--steps 4] [--json]
import * as torch from '../packages/torch/dist/src/index.js';
import { compare, parseArgs, clipGradNorm, sgdStep } from './lstm_lm.harness.mjs';

const args = parseArgs(process.argv.slice(2));
const threads = Number(args.threads ?? 2);
const V = Number(args.vocab ?? 10000),
  Hd = Number(args.hidden ?? 650),
  layers = Number(args.layers ?? 2);
const bptt = Number(args.bptt ?? 35),
  batch = Number(args.batch ?? 20);
torch.setNumThreads(threads);
torch.manualSeed(0);
const { nn } = torch;
const F = nn.functional;

class RNNModel extends nn.Module {
  constructor() {
    super();
    this.registerModule('drop', new nn.Dropout(0.5));
    this.registerModule('encoder', new nn.Embedding(V, Hd));
    this.registerModule('rnn', new nn.LSTM(Hd, Hd, { numLayers: layers, dropout: 0.5 }));
    this.registerModule('decoder', new nn.Linear(Hd, V));
  }
  forward(x, hidden) {
    const emb = this.drop.forward(this.encoder.forward(x));
    const [out, h] = this.rnn.forward(emb, hidden);
    return [this.decoder.forward(this.drop.forward(out)).view(-1, V), h];
  }
}

const model = new RNNModel().train();
const params = model.parameters();
const lr = 20;
const data = torch.keep(torch.randint(0, V, [bptt, batch]));
const target = torch.keep(torch.randint(0, V, [bptt * batch]));
let hidden = torch.keep([torch.zeros([layers, batch, Hd]), torch.zeros([layers, batch, Hd])]);

function step() {
  const [loss, next] = torch.tidy(() => {
    model.zeroGrad();
    const [out, [h, c]] = model.forward(data, hidden);
    const loss = F.crossEntropy(out, target);
    loss.backward();
    clipGradNorm(params, 0.25);
    sgdStep(params, lr);
    return [loss, [h.detach(), c.detach()]];
  });
  torch.dispose(hidden);
  hidden = torch.keep(next);
  return loss;
}

await compare({
  name: 'lstm_lm',
  describe: `LSTM LM step: vocab ${V}, ${layers}x${Hd} LSTM, batch ${batch} x ${bptt} tokens, CE + backward + clip 0.25 + SGD`,
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
  ],
  ours: () => {
    const l = step();
    const v = l.item();
    l.dispose();
    return v;
  },
  threads,
  args,
  liveTensors: () => torch.memoryStats().liveTensors,
});

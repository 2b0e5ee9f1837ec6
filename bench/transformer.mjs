// Transformer encoder training step: ours vs PyTorch in one run.
// 4 post-norm layers, d_model 200, 8 heads, feed-forward 1000, dropout 0.1, relu;
// sequence 70, batch 60 (sequence first), causal attention; MSE to a fixed
// target, backward, plain SGD. PyTorch runs in a python3 child (transformer.py)
// with the same thread count; rounds alternate (see lstm_lm.harness.mjs).
//   node bench/transformer.mjs [--threads 2] [--rounds 5] [--steps 4] [--json]
import * as torch from '../packages/torch/dist/src/index.js';
import { compare, parseArgs, sgdStep } from './lstm_lm.harness.mjs';

const args = parseArgs(process.argv.slice(2));
const threads = Number(args.threads ?? 2);
const L = Number(args.layers ?? 4),
  d = Number(args.d ?? 200),
  heads = Number(args.heads ?? 8),
  ff = Number(args.ff ?? 1000);
const seq = Number(args.seq ?? 70),
  batch = Number(args.batch ?? 60);
torch.setNumThreads(threads);
torch.manualSeed(0);
const { nn } = torch;

const layer = new nn.TransformerEncoderLayer(d, heads, { dimFeedforward: ff, dropout: 0.1 });
const model = new nn.TransformerEncoder(layer, L).train();
const params = model.parameters();
const x = torch.keep(torch.randn([seq, batch, d]));
const target = torch.keep(torch.randn([seq, batch, d]));
const lr = 0.01;

function step() {
  return torch.tidy(() => {
    model.zeroGrad();
    const out = model.forward(x, { isCausal: true });
    const loss = nn.functional.mseLoss(out, target);
    loss.backward();
    sgdStep(params, lr);
    return loss;
  });
}

await compare({
  name: 'transformer',
  describe: `Transformer encoder step: ${L} layers, d ${d}, ${heads} heads, ff ${ff}, seq ${seq}, batch ${batch}, causal, MSE + backward + SGD`,
  unit: 'tokens/s',
  perStep: seq * batch,
  python: [
    'transformer.py',
    '--threads',
    String(threads),
    '--layers',
    String(L),
    '--d',
    String(d),
    '--heads',
    String(heads),
    '--ff',
    String(ff),
    '--seq',
    String(seq),
    '--batch',
    String(batch),
  ],
  step,
  threads,
  args,
});

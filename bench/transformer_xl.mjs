// Transformer-XL language-model training step: ours vs PyTorch in one run (issue 8).
// LoT's PTB configuration: 4 layers, d_model 200, 8 heads x 20, d_inner 1000, dropout 0.25,
// dropatt 0, segment = memory = 70, batch 60, vocab 10,000; cross entropy over the tied full
// softmax, backward, gradient-norm clip 0.35, Adam 1e-3; the memories carry over (detached)
// from step to step, as in training.
// Ours: TransformerXL (packages/lot/dist/src/tasks/lm/transformer-xl.js) with torch.optim.Adam
// and torch.optim.clipGradNorm_, as the product's `lot train lm` builds them (runtime.ts).
// PyTorch: transformer_xl.py in a python3 child with the same thread count (a compact
// MemTransformerLM; --style reference|ours picks its attention's op sequence, --ref PATH uses
// the original from a jincan333/LoT checkout). Rounds alternate (see lstm_lm.harness.mjs).
//   node bench/transformer_xl.mjs [--threads 1] [--rounds 5] [--steps 3] [--warmup 2]
//                                 [--style reference|ours] [--ref PATH] [--json]
import * as torch from '../packages/torch/dist/src/index.js';
import { TransformerXL } from '../packages/lot/dist/src/tasks/lm/transformer-xl.js';
import { compare, parseArgs } from './lstm_lm.harness.mjs';
import { txlConfig } from './txl_config.mjs';

const args = parseArgs(process.argv.slice(2));
const num = (k, d) => Number(args[k] ?? d);
const threads = num('threads', 1);
const cfg = txlConfig(args);
const batch = num('batch', 60),
  lr = num('lr', 1e-3),
  clip = num('clip', 0.35);
args.steps ??= '3';
args.warmup ??= '2';
torch.setNumThreads(threads);
torch.manualSeed(0);

const model = new TransformerXL(cfg).train();
const optimizer = new torch.optim.Adam(model.parameters(), { lr });
const data = torch.keep(torch.randint(0, cfg.nToken, [cfg.tgtLen, batch]));
const target = torch.keep(torch.randint(0, cfg.nToken, [cfg.tgtLen * batch]));
let mems = torch.keep(model.initMems(batch));

function step() {
  const [loss, next] = torch.tidy(() => {
    optimizer.zeroGrad();
    const out = model.forward(data, mems);
    const loss = torch.nn.functional.crossEntropy(out.logits, target);
    loss.backward();
    torch.optim.clipGradNorm_(model.parameters(), clip);
    optimizer.step();
    return [loss, out.mems];
  });
  torch.dispose(mems);
  mems = torch.keep(next);
  return loss;
}

const py = ['transformer_xl.py', '--threads', String(threads), '--style', String(args.style ?? 'reference')];
for (const k of ['vocab', 'layers', 'd-model', 'heads', 'd-head', 'd-inner', 'dropout', 'dropatt', 'segment', 'mem-len'])
  if (args[k] !== undefined) py.push(`--${k}`, String(args[k]));
py.push('--batch', String(batch), '--lr', String(lr), '--clip', String(clip));
if (args.ref) py.push('--ref', String(args.ref));

await compare({
  name: 'transformer_xl',
  describe:
    `Transformer-XL LM step: vocab ${cfg.nToken}, ${cfg.nLayer} layers d_model ${cfg.dModel}, ${cfg.nHead}x${cfg.dHead} heads, d_inner ${cfg.dInner}, ` +
    `dropout ${cfg.dropout}, segment ${cfg.tgtLen} + memory ${cfg.memLen}, batch ${batch}; CE + backward + clip ${clip} + Adam ${lr} ` +
    `(PyTorch: ${args.ref ? `original MemTransformerLM from ${args.ref}` : `compact MemTransformerLM, style ${args.style ?? 'reference'}`})`,
  unit: 'tokens/s',
  perStep: cfg.tgtLen * batch,
  python: py,
  step,
  threads,
  args,
});

// Language modelling as a LoT task: a segment in, per-token logits and the new recurrent state
// out (LSTM (h, c), Transformer-XL memories), cross-entropy per token; and perplexity of one
// model over a split with its state carried across segments from a fresh start (eval mode).
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import type { ForwardOutput, LotTask, Module, RecurrentState } from '../../lot/index.js';
import { type Columns, segmentBatch, segmentCount } from './segments.js';

const F = torch.nn.functional;

/** A segment: input [len, batch] and its targets [len·batch] (time-major rows, as the logits). */
export interface LmBatch {
  input: Tensor;
  target: Tensor;
}

/** What both language models offer: logits and the next state from a segment and the previous state. */
export interface SequenceModel extends Module {
  step(input: Tensor, state: RecurrentState | null): { logits: Tensor; state: RecurrentState };
}

export const lmTask: LotTask<LmBatch, ForwardOutput> = {
  forward: (model, batch, ctx) => (model as SequenceModel).step(batch.input, ctx.state),
  taskLoss: (out, batch) => F.crossEntropy(out.logits, batch.target),
  batchSize: (batch) => batch.target.shape[0]!,
};

export interface SplitLoss {
  /** Mean cross-entropy per token (nats). */
  loss: number;
  perplexity: number;
  /** Bits per token. */
  bits: number;
  tokens: number;
}

/** Per-token loss of `model` over every segment of `columns`, state carried from a fresh start; eval mode, no graph. */
export function evaluateSplit(model: SequenceModel, columns: Columns, segment: number, device = 'cpu'): SplitLoss {
  const wasTraining = model.training;
  model.eval();
  let total = 0;
  let tokens = 0;
  let state: RecurrentState | null = null;
  try {
    torch.noGrad(() => {
      const count = segmentCount(columns, segment, 'the evaluation split');
      for (let i = 0; i < count; i++) {
        const next = torch.tidy(() => {
          const b = segmentBatch(columns, segment, i, device);
          const out = model.step(b.input, state);
          total += F.crossEntropy(out.logits, b.target, { reduction: 'sum' }).item();
          tokens += b.target.shape[0]!;
          return out.state;
        });
        if (state) torch.dispose(state);
        state = torch.keep(next);
      }
    });
  } finally {
    if (state) torch.dispose(state);
    model.train(wasTraining);
  }
  const loss = total / tokens;
  return { loss, perplexity: Math.exp(loss), bits: loss / Math.LN2, tokens };
}

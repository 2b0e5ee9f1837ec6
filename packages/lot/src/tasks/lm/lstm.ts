// The LSTM language model of the reference (Zaremba et al.'s "medium" recipe, docs/METHOD.md#lstm):
// Embedding(V, 650) → Dropout → 2-layer LSTM(650) with dropout between layers → Dropout →
// Linear(650, V); embedding and decoder weights U(−0.05, 0.05), decoder bias 0. Names follow the
// reference's RNNModel (`encoder`, `rnn`, `decoder`), so state dicts map one to one.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';

const nn = torch.nn;

export interface LstmLmOptions {
  vocab: number;
  /** Embedding and hidden size (650 for "medium"). */
  size?: number;
  layers?: number;
  dropout?: number;
  /** Share the embedding and the decoder weight (needs the same size). */
  tied?: boolean;
}

export class LstmLm extends nn.Module {
  declare encoder: torch.nn.Embedding;
  declare rnn: torch.nn.LSTM;
  declare decoder: torch.nn.Linear;
  declare drop: torch.nn.Dropout;
  readonly vocab: number;

  constructor(o: LstmLmOptions) {
    super();
    const size = o.size ?? 650;
    const layers = o.layers ?? 2;
    const dropout = o.dropout ?? 0.5;
    this.vocab = o.vocab;
    this.registerModule('drop', new nn.Dropout(dropout));
    this.registerModule('encoder', new nn.Embedding(o.vocab, size));
    this.registerModule('rnn', new nn.LSTM(size, size, { numLayers: layers, dropout: layers > 1 ? dropout : 0 }));
    this.registerModule('decoder', new nn.Linear(size, o.vocab));
    torch.noGrad(() => {
      this.encoder.weight.uniform_(-0.05, 0.05);
      this.decoder.weight.uniform_(-0.05, 0.05);
      this.decoder.bias!.zero_();
    });
    if (o.tied) {
      const own = this.decoder.weight;
      this.decoder.weight = this.encoder.weight; // the registered parameter's setter: one tensor, two names
      own.dispose();
    }
  }

  /** Logits [len·batch, vocab] (time-major rows) and the new (h, c), from input [len, batch] and the previous (h, c). */
  step(input: Tensor, state: Tensor[] | null): { logits: Tensor; state: Tensor[] } {
    const emb = this.drop.forward(this.encoder.forward(input));
    const [out, [h, c]] = this.rnn.forward(emb, state ? [state[0]!, state[1]!] : null);
    emb.dispose();
    const logits = this.decoder.forward(this.drop.forward(out)).reshape(-1, this.vocab);
    return { logits, state: [h, c] };
  }

  forward(input: Tensor): Tensor {
    return this.step(input, null).logits;
  }
}

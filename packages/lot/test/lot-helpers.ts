// Helpers for the LoT library tests: a tiny model, a plain SGD that records the
// gradients it applied, a classification task, and seeded batches.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { after, before } from 'node:test';
import type { LotOptimizer, LotTask } from '../src/lot/index.js';

const F = torch.nn.functional;

/** A two-layer perceptron in float64 (to compare numbers tightly). */
export class Mlp extends torch.nn.Module {
  declare w1: Tensor;
  declare b1: Tensor;
  declare w2: Tensor;
  declare b2: Tensor;
  constructor(seed: number, inFeatures = 4, hidden = 5, classes = 3) {
    super();
    torch.manualSeed(seed);
    this.registerParameter('w1', torch.randn([hidden, inFeatures], { dtype: 'float64' }).mul(0.5));
    this.registerParameter('b1', torch.randn([hidden], { dtype: 'float64' }).mul(0.1));
    this.registerParameter('w2', torch.randn([classes, hidden], { dtype: 'float64' }).mul(0.5));
    this.registerParameter('b2', torch.zeros([classes], { dtype: 'float64' }));
  }
  forward(x: Tensor): Tensor {
    return F.linear(F.linear(x, this.w1, this.b1).tanh(), this.w2, this.b2);
  }
}

/** Plain SGD; remembers a copy of the gradients of its last step (by parameter index). */
export class RecordingSgd implements LotOptimizer {
  lastGrads: (Tensor | null)[] = [];
  steps = 0;
  constructor(
    readonly params: Tensor[],
    readonly lr = 0.1,
  ) {}
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
  step(): void {
    torch.dispose(this.lastGrads);
    this.lastGrads = this.params.map((p) => {
      const g = p.grad;
      if (!g) return null;
      const c = torch.keep(g.clone());
      g.dispose();
      return c;
    });
    torch.noGrad(() => {
      this.params.forEach((p, i) => {
        const g = this.lastGrads[i];
        if (g) p.sub_(g, this.lr);
      });
    });
    this.steps += 1;
  }
}

export interface XYBatch {
  x: Tensor;
  y: Tensor;
  id: number;
}

export const mlpTask: LotTask<XYBatch> & {
  calls: { model: torch.nn.Module; batch: number; grad: boolean; training: boolean; stream: string }[];
} = {
  calls: [],
  forward(model, batch, ctx) {
    this.calls.push({ model, batch: batch.id, grad: torch.isGradEnabled(), training: model.training, stream: ctx.stream });
    return { logits: model.forward(batch.x) as Tensor };
  },
  taskLoss: (out, batch) => F.crossEntropy(out.logits, batch.y),
  batchSize: (batch) => batch.x.shape[0]!,
  correct: (out, batch) => torch.tidy(() => out.logits.argmax(1).eq(batch.y).sum().item()),
};

/** Seeded batches kept alive until disposed by the test; `id` tells them apart. */
export function makeBatches(count: number, seed: number, rows = 6, inFeatures = 4, classes = 3): XYBatch[] {
  torch.manualSeed(seed);
  return Array.from({ length: count }, (_, id) =>
    torch.keep({
      x: torch.randn([rows, inFeatures], { dtype: 'float64' }),
      y: torch.randint(0, classes, [rows]),
      id,
    }),
  );
}

/** A sequential cursor over `batches` (position p serves batch start + p, wrapping around) that records what it served. */
export function cursor(batches: XYBatch[], start = 0): { at: (position: number) => XYBatch; served: number[] } {
  const served: number[] = [];
  return {
    served,
    at: (position: number) => {
      const b = batches[(start + position) % batches.length]!;
      served.push(b.id);
      return b;
    },
  };
}

export const paramValues = (m: torch.nn.Module): number[][] => m.parameters().map((p) => Array.from(p.data() as Float64Array));

/** Runs the file's tests on one intra-op thread (fast and steady on loaded 2-core machines). */
export function useOneThread(): void {
  let previous = 0;
  before(() => {
    previous = torch.getNumThreads();
    torch.setNumThreads(1);
  });
  after(() => torch.setNumThreads(previous));
}

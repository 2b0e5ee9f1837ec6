// Two domains that exist only for tests, to show that a new domain needs no edit to the harness
// or to LotTrainer:
// - `seq`: a tiny recurrent classifier on one long synthetic token stream cut into segments (a
//   language model in miniature): the label at time t is the token at t − LAG, so the answer for
//   a segment's first steps lies in the previous segment and recurrent state must be carried per
//   (model, stream); gradients are clipped per model; its metric is a loss (lower is better).
// - `cache`: makes its own data each step (as RL's rollouts do) and uses RL's schedule: a joint
//   step per minibatch with α = 0 on the first teacher step, then passes of student-only steps
//   over a cache of the last batches, which is domain state saved in checkpoints.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { type Domain, type DomainRun, Fields, type LotStepMetrics, type LotTrainer, type RunConfig } from '../src/index.js';

const F = torch.nn.functional;
const LAG = 1;

/** How often the seq domain's per-model hook ran (it clips gradients): the harness and LotTrainer call it, the domain only supplies it. */
export const seqHookCalls = { teacher: 0, student: 0 };
const VOCAB = 5;

export interface SeqSettings {
  tokens: number;
  segment: number;
  batch: number;
  lr: number;
  clip: number;
}

/** The stream: tokens drawn from a fixed seed, cut into `batch` columns, time-major [rows, batch]. */
function tokenStream(tokens: number, batch: number, seed: number): Tensor {
  const rng = new torch.data.Rng(seed);
  const rows = Math.floor(tokens / batch);
  const ids = BigInt64Array.from({ length: rows * batch }, () => BigInt(rng.int(VOCAB)));
  return torch.tensor(ids, { shape: [rows, batch] });
}

class SeqModel extends torch.nn.Module {
  declare embed: torch.nn.Embedding;
  declare lstm: torch.nn.LSTM;
  declare head: torch.nn.Linear;
  constructor(seed: number) {
    super();
    torch.manualSeed(seed);
    this.registerModule('embed', new torch.nn.Embedding(VOCAB, 8));
    this.registerModule('lstm', new torch.nn.LSTM(8, 16));
    this.registerModule('head', new torch.nn.Linear(16, VOCAB));
  }
  run(x: Tensor, state: Tensor[] | null): { logits: Tensor; state: Tensor[] } {
    const [out, [h, c]] = this.lstm.forward(this.embed.forward(x), state ? [state[0]!, state[1]!] : null);
    return { logits: this.head.forward(out).reshape(-1, VOCAB), state: [h, c] };
  }
  forward(x: Tensor): Tensor {
    return this.run(x, null).logits;
  }
}

interface SeqBatch {
  x: Tensor;
  y: Tensor;
}

/** Segment `i` of a [rows, batch] stream: inputs and the labels (token at t − LAG; 0 before the stream starts). */
function segmentOf(stream: Tensor, segment: number, i: number): SeqBatch {
  return torch.tidy(() => {
    const rows = stream.shape[0]!;
    const start = i * segment;
    const x = stream.slice(0, start, Math.min(rows, start + segment));
    const padded = torch.cat([torch.zeros([LAG, stream.shape[1]!], { dtype: 'int64' }), stream], 0);
    const y = padded.slice(0, start, start + x.shape[0]!).reshape(-1);
    return { x, y };
  });
}

const seqTask = {
  forward: (model: torch.nn.Module, b: SeqBatch, ctx: { state: Tensor[] | null }) => (model as SeqModel).run(b.x, ctx.state),
  taskLoss: (out: { logits: Tensor }, b: SeqBatch) => F.crossEntropy(out.logits, b.y),
  batchSize: (b: SeqBatch) => b.y.shape[0]!,
};

/** Mean loss per token over a stream, each model alone from a fresh state carried across segments. */
function seqLoss(model: SeqModel, stream: Tensor, segment: number): number {
  const wasTraining = model.training;
  model.eval();
  let total = 0;
  let count = 0;
  let state: Tensor[] | null = null;
  torch.noGrad(() => {
    for (let i = 0; i * segment < stream.shape[0]!; i++) {
      const next = torch.tidy(() => {
        const b = segmentOf(stream, segment, i);
        const out = model.run(b.x, state);
        total += F.crossEntropy(out.logits, b.y, { reduction: 'sum' }).item();
        count += b.y.shape[0]!;
        return out.state;
      });
      if (state) torch.dispose(state);
      state = torch.keep(next);
    }
  });
  if (state) torch.dispose(state);
  model.train(wasTraining);
  return total / count;
}

export const seqDomain: Domain<SeqSettings, null> = {
  name: 'seq',
  summary: 'test-only recurrent classifier on a synthetic token stream',
  models: ['seqlstm'],
  defaultModel: 'seqlstm',
  metric: { key: 'validLoss', label: 'valid loss', direction: 'min', percent: false },
  options: [],
  examples: [],
  settingsFrom: () => ({ tokens: 240, segment: 6, batch: 4, lr: 0.05, clip: 1 }),
  parseSettings(raw, where) {
    const f = Fields.of(raw, where);
    return { tokens: f.int('tokens'), segment: f.int('segment'), batch: f.int('batch'), lr: f.num('lr'), clip: f.num('clip') };
  },
  dataLabel: (s) => `seq${s.tokens}`,
  runtime: async () => ({
    loadData: async () => null,
    describeData: () => 'synthetic tokens',
    createRun(cfg: RunConfig & SeqSettings): DomainRun<SeqBatch> {
      const train = torch.keep(tokenStream(cfg.tokens, cfg.batch, 1000 + cfg.seed));
      const valid = torch.keep(tokenStream(cfg.tokens / 2, cfg.batch, 2000));
      const segments = Math.ceil(train.shape[0]! / cfg.segment);
      const learner = (seed: number, role: 'teacher' | 'student') => {
        const model = new SeqModel(seed);
        return {
          model,
          optimizer: new torch.optim.Adam(model.parameters(), { lr: cfg.lr }),
          beforeStep: (m: torch.nn.Module) => {
            seqHookCalls[role] += 1;
            torch.optim.clipGradNorm_(m.parameters(), cfg.clip);
          },
        };
      };
      const teacher = learner(cfg.seed, 'teacher');
      const students = cfg.students.map((_, i) => learner(cfg.seed + 1 + i, 'student'));
      return {
        teacher,
        students,
        task: seqTask,
        stepsPerEpoch: segments,
        unit: 'tok',
        mainBatch: (_epoch, b) => segmentOf(train, cfg.segment, b),
        cursorBatch: (position) => segmentOf(train, cfg.segment, position % segments),
        schedules: { teacher: { scheduler: new torch.optim.CosineAnnealingLR(teacher.optimizer, cfg.epochs * segments), every: 'step' } },
        evaluate: (trainer) => ({
          teacher: { validLoss: seqLoss(trainer.teacher.model as SeqModel, valid, cfg.segment) },
          students: trainer.students.map((s) => ({ validLoss: seqLoss(s.model as SeqModel, valid, cfg.segment) })),
          kl: null,
        }),
        dispose: () => torch.dispose([train, valid]),
      };
    },
  }),
};

export interface CacheSettings {
  batch: number;
  minibatches: number;
  cacheSize: number;
  lr: number;
}

interface XY {
  x: Tensor;
  y: Tensor;
}

const cacheTask = {
  forward: (model: torch.nn.Module, b: XY) => ({ logits: model.forward(b.x) as Tensor }),
  taskLoss: (out: { logits: Tensor }, b: XY) => F.crossEntropy(out.logits, b.y),
  batchSize: (b: XY) => b.y.shape[0]!,
};

/** Fresh data for step `step`: the domain makes it (as RL's rollouts), labels from a fixed rule. */
function makeData(seed: number, step: number, rows: number): XY {
  return torch.tidy(() => {
    const rng = new torch.data.Rng(torch.data.seedFor(seed, step));
    const x = torch.tensor(
      Float64Array.from({ length: rows * 3 }, () => rng.float() - 0.5),
      { shape: [rows, 3] },
    );
    return { x, y: x.sum(1).gt(0).to('int64') };
  });
}

export const cacheDomain: Domain<CacheSettings, null> = {
  name: 'cache',
  summary: 'test-only domain with its own data, per-step α and cache passes',
  models: ['mlp'],
  defaultModel: 'mlp',
  metric: { key: 'accuracy', label: 'held-out accuracy', direction: 'max', percent: true },
  options: [],
  examples: [],
  settingsFrom: () => ({ batch: 8, minibatches: 2, cacheSize: 3, lr: 0.2 }),
  parseSettings(raw, where) {
    const f = Fields.of(raw, where);
    return { batch: f.int('batch'), minibatches: f.int('minibatches'), cacheSize: f.int('cacheSize'), lr: f.num('lr') };
  },
  dataLabel: () => 'generated',
  runtime: async () => ({
    loadData: async () => null,
    describeData: () => 'generated per step',
    createRun(cfg: RunConfig & CacheSettings): DomainRun<XY> {
      const learner = (seed: number) => {
        torch.manualSeed(seed);
        const model = new torch.nn.Sequential(new torch.nn.Linear(3, 8), new torch.nn.Tanh(), new torch.nn.Linear(8, 2)).to('float64');
        return { model, optimizer: new torch.optim.Adam(model.parameters(), { lr: cfg.lr }) };
      };
      const teacher = learner(cfg.seed);
      const students = cfg.students.map((_, i) => learner(cfg.seed + 1 + i));
      const heldOut = torch.keep(makeData(cfg.seed + 99, 0, 64));
      let cache: XY[] = [];
      const accuracy = (m: torch.nn.Module) =>
        torch.tidy(() => torch.noGrad(() => (m.forward(heldOut.x) as Tensor).argmax(1).eq(heldOut.y).to('float64').mean().item()));
      return {
        teacher,
        students,
        task: cacheTask,
        stepsPerEpoch: 4,
        unit: 'ex',
        mainBatch: (epoch, b) => makeData(cfg.seed, (epoch - 1) * 4 + b, cfg.batch),
        cursorBatch: () => {
          throw new Error('the cache domain has no cursor: its student steps walk the cache');
        },
        teacherStep(trainer: LotTrainer<XY>, batch: XY, step: number): LotStepMetrics {
          // Joint steps per minibatch; α = 0 in the teacher's loss on the first teacher step.
          const rows = batch.y.shape[0]! / cfg.minibatches;
          let m: LotStepMetrics | null = null;
          for (let k = 0; k < cfg.minibatches; k++) {
            const mb = torch.tidy(() => ({ x: batch.x.slice(0, k * rows, (k + 1) * rows), y: batch.y.slice(0, k * rows, (k + 1) * rows) }));
            const r = trainer.jointStep(mb, step === 0 ? { alpha: 0 } : {});
            torch.dispose(mb);
            m = m ? { ...r, costUnits: m.costUnits + r.costUnits, batchSize: m.batchSize + r.batchSize } : r;
          }
          if (trainer.students.length === 0) return m!;
          // Then N passes of student-only steps over the cache of the last batches, this one included.
          cache = [...cache, torch.keep({ x: batch.x.clone(), y: batch.y.clone() })];
          if (cache.length > cfg.cacheSize) torch.dispose(cache.shift()!);
          for (let pass = 0; pass < trainer.config.n; pass++) {
            for (const c of cache) {
              m!.studentOnly.push(trainer.studentStep(c));
              m!.costUnits += 4;
            }
          }
          return m!;
        },
        schedules: {},
        evaluate: (trainer) => ({
          teacher: { accuracy: accuracy(trainer.teacher.model) },
          students: trainer.students.map((s) => ({ accuracy: accuracy(s.model) })),
          kl: null,
        }),
        saveState: () => ({ cache: cache.map((c) => [c.x, c.y]) }),
        loadState(saved) {
          const list = saved.cache;
          if (!Array.isArray(list)) throw new Error('cache domain: no cache in the checkpoint');
          torch.dispose(cache);
          cache = list.map((pair) => {
            const [x, y] = pair as [Tensor, Tensor];
            return torch.keep({ x: x.clone(), y: y.clone() });
          });
        },
        dispose: () => torch.dispose([heldOut, ...cache]),
      };
    },
  }),
};

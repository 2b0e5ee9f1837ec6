// A test-only domain for data-parallel runs: a fixed float64 classification set, an MLP without
// dropout or BatchNorm, and the main stream and students' cursor sharded by rank as vision's are,
// so that K ranks on batch b must train exactly as one process on batch K·b.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { type Domain, type DomainRun, Fields, type RunConfig, type RunPlacement } from '../src/index.js';

const F = torch.nn.functional;
const ROWS = 96;

export interface ParallelSettings {
  batch: number;
  lr: number;
}

interface XY {
  x: Tensor;
  y: Tensor;
}

/** The whole data set: ROWS rows of 4 features, 3 classes from a fixed rule. */
function dataset(): XY {
  return torch.tidy(() => {
    const rng = new torch.data.Rng(7);
    const x = torch.tensor(
      Float64Array.from({ length: ROWS * 4 }, () => rng.float() * 2 - 1),
      { shape: [ROWS, 4] },
    );
    const y = x
      .narrow(1, 0, 1)
      .add(x.narrow(1, 1, 1).mul(0.5))
      .mul(1.5)
      .add(1.5)
      .floor()
      .clamp(0, 2)
      .reshape([-1])
      .to('int64');
    return { x, y };
  });
}

/** Rows `start … start + count` of the data set, rank `rank`'s part of a global batch. */
const rows = (data: XY, indices: Int32Array): XY =>
  torch.tidy(() => {
    const index = torch.tensor(indices).to('int64');
    return { x: data.x.indexSelect(0, index), y: data.y.indexSelect(0, index) };
  });

export const parallelDomain: Domain<ParallelSettings, XY> = {
  name: 'dp',
  summary: 'test-only domain for data-parallel runs (float64, sharded main stream and cursor)',
  models: ['mlp'],
  defaultModel: 'mlp',
  metric: { key: 'accuracy', label: 'accuracy', direction: 'max', percent: true },
  options: [],
  examples: [],
  settingsFrom: () => ({ batch: 8, lr: 0.3 }),
  parseSettings(raw, where) {
    const f = Fields.of(raw, where);
    return { batch: f.int('batch'), lr: f.num('lr') };
  },
  dataLabel: () => 'generated',
  runtime: async () => ({
    loadData: async () => torch.keep(dataset()),
    describeData: () => `${ROWS} generated rows`,
    createRun(cfg: RunConfig & ParallelSettings, data: XY, { shard }: RunPlacement): DomainRun<XY> {
      const learner = (seed: number) => {
        torch.manualSeed(seed);
        const model = new torch.nn.Sequential(new torch.nn.Linear(4, 16), new torch.nn.Tanh(), new torch.nn.Linear(16, 3)).to('float64');
        return { model, optimizer: new torch.optim.SGD(model.parameters(), { lr: cfg.lr, momentum: 0.9 }) };
      };
      const global = cfg.batch * shard.count;
      const steps = Math.floor(ROWS / global);
      const part = (first: number) => Int32Array.from({ length: cfg.batch }, (_, i) => first + shard.rank * cfg.batch + i);
      const accuracy = (m: torch.nn.Module) =>
        torch.tidy(() => torch.noGrad(() => (m.forward(data.x) as Tensor).argmax(1).eq(data.y).to('float64').mean().item()));
      return {
        teacher: learner(cfg.seed),
        students: cfg.students.map((_, i) => learner(cfg.seed + 1 + i)),
        task: {
          forward: (model, b) => ({ logits: model.forward(b.x) as Tensor }),
          taskLoss: (out, b) => F.crossEntropy(out.logits, b.y),
          batchSize: (b) => b.y.shape[0]!,
        },
        stepsPerEpoch: steps,
        unit: 'ex',
        // Epoch e walks the rows in order from offset e (mod ROWS): a different global batch each step.
        mainBatch: (epoch, b) => rows(data, part((b * global + epoch * 5) % (ROWS - global + 1))),
        cursorBatch: (position) => rows(data, part((position % steps) * global)),
        schedules: {},
        evaluate: (trainer) => ({
          teacher: { accuracy: accuracy(trainer.teacher.model) },
          students: trainer.students.map((s) => ({ accuracy: accuracy(s.model) })),
          kl: null,
        }),
        dispose: () => {},
      };
    },
  }),
};

// The language-model domain's runtime: the corpus, the models (Transformer-XL or LSTM), their
// optimizers and schedules, the two streams, evaluation (valid perplexity every epoch; at the end,
// test perplexity on each model's best checkpoint by its own valid loss).
import * as torch from '@lot/torch';
import type { DomainRun, DomainRuntime, Evaluation, ModelMetrics, RunPlacement, Schedule } from '../../harness/index.js';
import { type Learner, relativeCostFromParameters } from '../../lot/index.js';
import { type Corpus, describeCorpus, loadCorpus } from './corpus.js';
import { LstmLm } from './lstm.js';
import { batchify, segmentBatch, segmentCount, shardColumns, studentSegment } from './segments.js';
import { corpusSpecOf, type LmModelName, type LmRunConfig, type LmSettings } from './settings.js';
import { evaluateSplit, type LmBatch, lmTask, type SequenceModel } from './task.js';
import { TransformerXL } from './transformer-xl.js';

export function buildLmModel(name: LmModelName, s: LmSettings, vocab: number, seed: number): SequenceModel {
  torch.manualSeed(seed);
  if (name === 'lstm') return new LstmLm({ vocab, size: s.dModel, layers: s.layers, dropout: s.dropout, tied: s.tied });
  return new TransformerXL({
    nToken: vocab,
    nLayer: s.layers,
    dModel: s.dModel,
    nHead: s.heads,
    dHead: s.dHead,
    dInner: s.dInner,
    dropout: s.dropout,
    dropAtt: s.dropAtt,
    tgtLen: s.segment,
    memLen: s.memLen,
  });
}

const modelName = (name: string): LmModelName => (name === 'lstm' ? 'lstm' : 'transformer-xl');

function optimizerFor(model: SequenceModel, s: LmSettings, lr: number): torch.optim.Optimizer {
  return s.optimizer === 'sgd'
    ? new torch.optim.SGD(model.parameters(), { lr, momentum: s.momentum })
    : new torch.optim.Adam(model.parameters(), { lr });
}

/** Copies of a model's parameters and buffers (its best checkpoint so far), kept until disposed. */
const snapshot = (model: SequenceModel): Record<string, torch.Tensor> =>
  torch.keep(Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()])));

/** A run; each rank of a data-parallel run trains on its columns of the split batchified for batchSize × ranks. */
function createLmRun(cfg: LmRunConfig, corpus: Corpus, { device, shard }: RunPlacement): DomainRun<LmBatch> {
  const vocab = corpus.vocab.size;
  const train = shardColumns(batchify(corpus.streams.train, cfg.batchSize * shard.count, 'the training split'), shard);
  const valid = batchify(corpus.streams.valid, cfg.evalBatchSize, 'the validation split');
  const test = batchify(corpus.streams.test, cfg.evalBatchSize, 'the test split');
  const steps = segmentCount(train, cfg.segment, 'the training split');
  segmentCount(valid, cfg.segment, 'the validation split');
  segmentCount(test, cfg.segment, 'the test split');

  const learner = (name: string, seed: number, lr: number): Learner => {
    const model = buildLmModel(modelName(name), cfg, vocab, seed).to(device);
    return {
      model,
      optimizer: optimizerFor(model, cfg, lr),
      ...(cfg.clip > 0 ? { beforeStep: (m) => void torch.optim.clipGradNorm_(m.parameters(), cfg.clip) } : {}),
    };
  };
  const teacher = learner(cfg.teacher, cfg.seed, cfg.lr);
  const students = cfg.students.map((name, i) => learner(name, cfg.seed + 1 + i, cfg.studentLr));
  const schedules: Record<string, Schedule> = {};
  const schedule = (name: string, l: Learner, plateau: boolean): void => {
    if (!(l.optimizer instanceof torch.optim.Optimizer) || cfg.schedule === 'constant' || plateau) return;
    const every = cfg.schedule === 'cosine-step' ? 'step' : 'epoch';
    schedules[name] = {
      scheduler: new torch.optim.CosineAnnealingLR(l.optimizer, every === 'step' ? cfg.epochs * steps : cfg.epochs),
      every,
    };
  };
  schedule('teacher', teacher, false);
  students.forEach((s, i) => schedule(`student${i}`, s, cfg.studentSchedule === 'plateau'));

  // Best checkpoint per model by its own valid loss, and the plateau rule's bests.
  const models = [teacher, ...students].map((l) => l.model as SequenceModel);
  let best: { loss: number; weights: Record<string, torch.Tensor> }[] = models.map(() => ({ loss: Number.POSITIVE_INFINITY, weights: {} }));
  let plateau = { sum: Number.POSITIVE_INFINITY, student: Number.POSITIVE_INFINITY };
  const metricsOf = (r: { loss: number; perplexity: number; bits: number }, split: 'valid' | 'test'): ModelMetrics => ({
    [`${split}Loss`]: r.loss,
    [`${split}Perplexity`]: r.perplexity,
    [`${split}Bits`]: r.bits,
  });

  return {
    teacher,
    students,
    task: lmTask,
    studentRelativeCost: students.map((s) => relativeCostFromParameters(teacher.model, s.model)),
    stepsPerEpoch: steps,
    unit: 'tok',
    mainBatch: (_epoch, i) => segmentBatch(train, cfg.segment, i, device),
    cursorBatch: (position) => segmentBatch(train, cfg.segment, studentSegment(train, cfg.segment, position), device),
    schedules,
    evaluate(): Evaluation {
      const results = models.map((m) => evaluateSplit(m, valid, cfg.segment, device));
      results.forEach((r, i) => {
        if (r.loss < best[i]!.loss) {
          torch.dispose(best[i]!.weights);
          best[i] = { loss: r.loss, weights: snapshot(models[i]!) };
        }
      });
      if (cfg.studentSchedule === 'plateau' && students.length) {
        // The reference's PTB-LSTM student rule: ×0.25 when both the sum of the valid perplexities and the student's valid loss got worse.
        const sum = results.reduce((a, r) => a + r.perplexity, 0);
        const student = results[1]!.loss;
        if (sum > plateau.sum && student > plateau.student) {
          for (const s of students) if (s.optimizer instanceof torch.optim.Optimizer) for (const g of s.optimizer.paramGroups) g.lr *= 0.25;
        }
        plateau = { sum: Math.min(sum, plateau.sum), student: Math.min(student, plateau.student) };
      }
      return { teacher: metricsOf(results[0]!, 'valid'), students: results.slice(1).map((r) => metricsOf(r, 'valid')), kl: null };
    },
    finalEvaluation(): Evaluation {
      const results = models.map((m, i) => {
        const current = snapshot(m);
        if (Object.keys(best[i]!.weights).length) m.loadStateDict(best[i]!.weights);
        const r = evaluateSplit(m, test, cfg.segment, device);
        m.loadStateDict(current);
        torch.dispose(current);
        return r;
      });
      return { teacher: metricsOf(results[0]!, 'test'), students: results.slice(1).map((r) => metricsOf(r, 'test')), kl: null };
    },
    saveState: () => ({
      bestLosses: best.map((b) => b.loss),
      bestWeights: best.map((b) => b.weights),
      plateau: [plateau.sum, plateau.student],
    }),
    loadState(saved) {
      const losses = saved.bestLosses;
      const weights = saved.bestWeights;
      const p = saved.plateau;
      if (!Array.isArray(losses) || !Array.isArray(weights) || !Array.isArray(p) || losses.length !== models.length) {
        throw new Error('language-model checkpoint: the best-checkpoint state is missing or belongs to another configuration');
      }
      for (const b of best) torch.dispose(b.weights);
      best = losses.map((loss, i) => ({
        loss: Number(loss),
        weights: torch.keep(Object.fromEntries(Object.entries(weights[i] as Record<string, torch.Tensor>).map(([k, t]) => [k, t.clone()]))),
      }));
      plateau = { sum: Number(p[0]), student: Number(p[1]) };
    },
    dispose: () => {
      for (const b of best) torch.dispose(b.weights);
    },
  };
}

export const lmRuntime: DomainRuntime<LmSettings, Corpus> = {
  async loadData(cfg, log) {
    const corpus = await loadCorpus(corpusSpecOf(cfg), {
      ...(cfg.dataDir ? { dataDir: cfg.dataDir } : {}),
      download: cfg.download,
      log,
      ...(cfg.vocabSize ? { vocabSize: cfg.vocabSize } : {}),
    });
    return corpus;
  },
  describeData: describeCorpus,
  createRun: createLmRun,
};

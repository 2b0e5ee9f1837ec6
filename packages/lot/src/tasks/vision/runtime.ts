// The vision domain's runtime: its runs (data, models, optimizers, schedules, evaluation).
import * as torch from '@lot/torch';
import type { DomainRun, DomainRuntime, RunPlacement, Schedule } from '../../harness/index.js';
import { relativeCostFromParameters } from '../../lot/index.js';
import {
  augmentation,
  batchIndices,
  cursorIndices,
  epochOrder,
  evalBatches,
  makeBatch,
  mixSeed,
  STREAM,
  shardedBatchCount,
  shardOf,
  type VisionBatch,
} from './batches.js';
import { buildVisionModel, describeVisionData, loadVisionData, makeSgd, visionSchedule } from './data.js';
import type { VisionDataset } from './datasets/index.js';
import { createVisionModel } from './models.js';
import type { VisionRunConfig, VisionSettings } from './settings.js';
import { evaluateVision, visionTask } from './task.js';

/** A batch on `device` (made on the CPU, where augmentation runs). */
function onDevice(batch: VisionBatch, device: string): VisionBatch {
  if (device === 'cpu') return batch;
  const moved = { images: batch.images.to(device), labels: batch.labels.to(device) };
  torch.dispose(batch);
  return moved;
}

/**
 * A run: the teacher from the run's seed, student i from seed + 1 + i (the reference's rule).
 * Each rank of a data-parallel run takes its part of every global batch of batchSize × ranks.
 */
function createVisionRun(cfg: VisionRunConfig, data: VisionDataset, { device, shard }: RunPlacement): DomainRun<VisionBatch> {
  const { train, test } = data;
  const teacherModel = buildVisionModel(cfg.teacher, data, cfg.seed).to(device);
  const studentModels = cfg.students.map((name, i) => buildVisionModel(name, data, cfg.seed + 1 + i).to(device));
  const teacher = { model: teacherModel, optimizer: makeSgd(teacherModel, cfg, cfg.lr) };
  const students = studentModels.map((model) => ({ model, optimizer: makeSgd(model, cfg, cfg.studentLr) }));
  const schedules: Record<string, Schedule> = {};
  for (const [name, l] of [['teacher', teacher] as const, ...students.map((s, i) => [`student${i}`, s] as const)]) {
    const scheduler = visionSchedule(l.optimizer, cfg, cfg.epochs);
    if (scheduler) schedules[name] = { scheduler, every: 'epoch' };
  }
  const augment = cfg.augment ? augmentation(train.height, train.width) : null;
  const tests = evalBatches(test, cfg.evalBatchSize).map((b) => torch.keep(onDevice(b, device)));
  const global = cfg.batchSize * shard.count;
  // Each rank augments its part with its own draws (one process's seeds are unchanged).
  const rankPart = shard.count > 1 ? [shard.rank] : [];
  return {
    teacher,
    students,
    task: visionTask,
    studentRelativeCost: studentModels.map((m) => relativeCostFromParameters(teacherModel, m)),
    stepsPerEpoch: shardedBatchCount(train.count, cfg.batchSize, shard),
    unit: 'img',
    mainBatch: (epoch, b) =>
      onDevice(
        makeBatch(train, shardOf(batchIndices(epochOrder(train.count, cfg.seed, epoch), b, global), shard), {
          augment,
          seed: mixSeed(cfg.seed, STREAM.augment, epoch, b, ...rankPart),
        }),
        device,
      ),
    cursorBatch: (position) =>
      onDevice(
        makeBatch(train, cursorIndices(train.count, cfg.batchSize, position, shard), {
          augment,
          seed: mixSeed(cfg.seed, STREAM.cursorAugment, position, ...rankPart),
        }),
        device,
      ),
    schedules,
    evaluate: (trainer) =>
      evaluateVision(
        trainer.teacher.model,
        trainer.students.map((s) => s.model),
        tests,
        cfg.tau,
      ),
    dispose: () => torch.dispose(tests),
  };
}

/** What `lot train vision` needs of libtorch: data, models, runs. */
export const visionRuntime: DomainRuntime<VisionSettings, VisionDataset> = {
  loadData: (cfg, log) => loadVisionData(cfg, log),
  describeData: describeVisionData,
  /** Parameter-count ratio (for these convolutional nets parameters track FLOPs). */
  studentRelativeCost(teacher, students) {
    const opts = { numClasses: 10, inChannels: 1 };
    const t = createVisionModel(teacher, opts);
    const out = students.map((s) => {
      if (s === teacher) return 1;
      const m = createVisionModel(s, opts);
      const r = relativeCostFromParameters(t, m);
      torch.dispose([...m.parameters(), ...m.buffers()]);
      return r;
    });
    torch.dispose([...t.parameters(), ...t.buffers()]);
    return out;
  },
  createRun: createVisionRun,
};

// Loading the images a vision config names, and building its models and optimizers.
import * as torch from '@lot/torch';
import { UsageError } from '../../harness/index.js';
import { loadVisionDataset, type VisionDataset } from './datasets/index.js';
import { createVisionModel } from './models.js';
import type { VisionSettings } from './settings.js';

/** Loads the dataset a config names; a missing or unreadable dataset is a UsageError (one line, exit 2). */
export async function loadVisionData(s: VisionSettings, log?: (line: string) => void): Promise<VisionDataset> {
  try {
    return await loadVisionDataset(s.dataset, {
      ...(s.dataDir ? { dataDir: s.dataDir } : {}),
      download: s.download,
      subset: { ...(s.subset ? { train: s.subset } : {}), ...(s.testSubset ? { test: s.testSubset } : {}) },
      ...(log ? { log } : {}),
    });
  } catch (e) {
    const message = (e as Error).message.split('\n')[0]!;
    const hint = /--data-dir|download|apt/i.test(message)
      ? ''
      : `; put the ${s.dataset} files in a folder and pass --data-dir DIR${s.download ? '' : ', or allow --download'}`;
    throw new UsageError(`cannot load ${s.dataset}: ${message}${hint}`);
  }
}

export const describeVisionData = (d: VisionDataset): string =>
  `${d.name}: ${d.train.count} training and ${d.test.count} test images (${d.train.channels}×${d.train.height}×${d.train.width}, ${d.classes} classes) from ${d.source}`;

/** A freshly initialized model, seeded; an unknown name is a UsageError. */
export function buildVisionModel(name: string, data: VisionDataset, seed: number): torch.nn.Module {
  torch.manualSeed(seed);
  try {
    return createVisionModel(name, { numClasses: data.classes, inChannels: data.train.channels });
  } catch (e) {
    throw new UsageError(`cannot build model '${name}': ${(e as Error).message.split('\n')[0]}`);
  }
}

export function makeSgd(
  model: torch.nn.Module,
  s: Pick<VisionSettings, 'momentum' | 'nesterov' | 'weightDecay'>,
  lr: number,
): torch.optim.SGD {
  return new torch.optim.SGD(model.parameters(), {
    lr,
    momentum: s.momentum,
    nesterov: s.nesterov && s.momentum > 0,
    weightDecay: s.weightDecay,
  });
}

/** The cosine schedule over `epochs` (stepped once per epoch), or none for a constant rate. */
export function visionSchedule(
  optimizer: torch.optim.SGD,
  s: Pick<VisionSettings, 'schedule'>,
  epochs: number,
): torch.optim.LRScheduler | null {
  return s.schedule === 'cosine' ? new torch.optim.CosineAnnealingLR(optimizer, epochs) : null;
}

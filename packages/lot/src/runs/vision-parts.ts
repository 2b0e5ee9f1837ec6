// The pieces a vision run is built from, behind one small interface: the data
// (through the dataset readers), the models (through the model factory) and SGD.
import * as torch from '@lot/torch';
import { UsageError } from '../cli/errors.js';
import { loadVisionDataset } from '../tasks/vision/datasets/index.js';

// The model factory is imported at run time (it lands separately from this file).
type ModelFactory = (name: string, o: { numClasses: number; inChannels: number }) => torch.nn.Module;
let createVisionModel: ModelFactory | null = null;
const MODELS_MODULE = '../tasks/vision/models.js';
export async function loadModelFactory(): Promise<ModelFactory> {
  if (!createVisionModel) createVisionModel = ((await import(MODELS_MODULE)) as { createVisionModel: ModelFactory }).createVisionModel;
  return createVisionModel;
}
import type { DataConfig, OptimConfig } from './config.js';
import type { ImageSplit } from './batches.js';

export interface LoadedData {
  train: ImageSplit;
  test: ImageSplit;
  numClasses: number;
  source: string;
}

/** Loads the dataset a config names; a missing or unreadable dataset is a UsageError (one line, exit 2). */
export async function loadData(cfg: DataConfig, log?: (line: string) => void): Promise<LoadedData> {
  await loadModelFactory();
  try {
    const ds = await loadVisionDataset(cfg.dataset as 'fashion-mnist', {
      ...(cfg.dataDir ? { dataDir: cfg.dataDir } : {}),
      download: cfg.download,
      subset: { ...(cfg.subset ? { train: cfg.subset } : {}), ...(cfg.testSubset ? { test: cfg.testSubset } : {}) },
      ...(log ? { log } : {}),
    });
    return { train: ds.train, test: ds.test, numClasses: ds.classes, source: ds.source };
  } catch (e) {
    const message = (e as Error).message.split('\n')[0]!;
    const hint = /--data-dir|download|apt/i.test(message)
      ? ''
      : `; put the ${cfg.dataset} files in a folder and pass --data-dir DIR${cfg.download ? '' : ', or allow --download'}`;
    throw new UsageError(`cannot load ${cfg.dataset}: ${message}${hint}`);
  }
}

/** Builds a model (call `await loadModelFactory()` once first). */
export function buildModel(name: string, numClasses: number, inChannels: number): torch.nn.Module {
  if (!createVisionModel) throw new Error('buildModel: call loadModelFactory() first');
  try {
    return createVisionModel(name, { numClasses, inChannels });
  } catch (e) {
    throw new UsageError(`cannot build model '${name}': ${(e as Error).message.split('\n')[0]}`);
  }
}

export function makeSgd(model: torch.nn.Module, cfg: OptimConfig, lr: number): torch.optim.SGD {
  return new torch.optim.SGD(model.parameters(), {
    lr,
    momentum: cfg.momentum,
    nesterov: cfg.nesterov && cfg.momentum > 0,
    weightDecay: cfg.weightDecay,
  });
}

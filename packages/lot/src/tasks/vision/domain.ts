// Image classification as a harness domain: `lot train vision`. Light (no libtorch): the
// runtime with data, models and runs is loaded when a run starts.
import type { Domain } from '../../harness/index.js';
import type { VisionDataset } from './datasets/index.js';
import { VISION_MODELS } from './names.js';
import { parseVisionSettings, type VisionSettings, visionDataLabel, visionOptions, visionSettingsFrom } from './settings.js';

export const visionDomain: Domain<VisionSettings, VisionDataset> = {
  name: 'vision',
  summary: 'image classification (fashion-mnist, cifar10, cifar100)',
  models: VISION_MODELS,
  defaultModel: 'preresnet20',
  metric: { key: 'testAccuracy', label: 'test accuracy', direction: 'max', percent: true },
  options: visionOptions(),
  examples: [
    'lot train vision --dataset fashion-mnist --epochs 10 --seeds 0,1,2 --methods lot,teacher-only,equal-compute',
    'lot train vision --teacher preresnet20 --student preresnet56 --dataset cifar100 --data-dir ~/data/cifar-100-python --lr 0.1',
  ],
  settingsFrom: visionSettingsFrom,
  parseSettings: parseVisionSettings,
  dataLabel: visionDataLabel,
  runtime: async () => (await import('./runtime.js')).visionRuntime,
};

// The vision models' names, apart from their code so that the CLI's help needs no libtorch.
export const VISION_MODELS = ['preresnet20', 'preresnet32', 'preresnet44', 'preresnet56', 'preresnet110', 'smallcnn'] as const;
export type VisionModelName = (typeof VISION_MODELS)[number];

export const isVisionModelName = (name: string): name is VisionModelName =>
  (VISION_MODELS as readonly string[]).includes(String(name).toLowerCase());

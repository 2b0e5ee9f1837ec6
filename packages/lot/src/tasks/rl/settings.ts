// The RL domain's settings (config.json fields beside the harness's) and their flags: CleanRL's
// ppo.py recipe for classic control (docs/METHOD.md#reinforcement-learning), each default per
// environment family so that `--env` alone gives the reference setting.
import { Fields, type OptionSpec, type OptionValues, UsageError } from '../../harness/index.js';
import { CLASSIC_ENVS } from './envs/env.js';
import type { PpoSettings } from './ppo.js';

export const RL_MODELS = ['mlp'] as const;
/** linear: to 0 over all updates (ppo.py); cosine: to --lr-min (the reference's Atari schedule). */
export const RL_SCHEDULES = ['linear', 'cosine', 'constant'] as const;

export interface RlSettings extends PpoSettings {
  env: string;
  /** Agent steps of the LoT and teacher-only runs (equal compute runs more). */
  totalSteps: number;
  lr: number;
  studentLr: number;
  lrMin: number;
  schedule: (typeof RL_SCHEDULES)[number];
  /** Gradient-norm clip per model (0: none). */
  maxGradNorm: number;
  studentWeightDecay: number;
}

/** ppo.py's settings, LOT.md's classic-control LoT setting, and a budget where the curves still differ. */
const CLASSIC_DEFAULTS = {
  'total-steps': 100_000,
  'num-envs': 4,
  'num-steps': 128,
  minibatches: 4,
  'update-epochs': 4,
  gamma: 0.99,
  'gae-lambda': 0.95,
  'clip-coef': 0.2,
  'ent-coef': 0.01,
  'vf-coef': 0.5,
  'max-grad-norm': 0.5,
  lr: 2.5e-4,
  'lr-min': 0,
  schedule: 'linear',
  'student-weight-decay': 1e-4,
  'cache-rollouts': 10,
} as const;

export const rlOptions = (): OptionSpec[] => [
  {
    name: 'env',
    type: 'string',
    default: 'CartPole-v1',
    choices: CLASSIC_ENVS,
    placeholder: 'ID',
    help: 'environment (classic control, simulated in TypeScript with gymnasium dynamics)',
  },
  {
    name: 'total-steps',
    type: 'int',
    default: CLASSIC_DEFAULTS['total-steps'],
    min: 1,
    placeholder: 'N',
    help: 'agent steps per run (LoT and teacher-only; equal compute runs more)',
  },
  { name: 'num-envs', type: 'int', default: CLASSIC_DEFAULTS['num-envs'], min: 1, help: 'parallel environments' },
  { name: 'num-steps', type: 'int', default: CLASSIC_DEFAULTS['num-steps'], min: 1, help: 'steps per environment per rollout' },
  { name: 'minibatches', type: 'int', default: CLASSIC_DEFAULTS.minibatches, min: 1, help: 'minibatches per PPO epoch' },
  { name: 'update-epochs', type: 'int', default: CLASSIC_DEFAULTS['update-epochs'], min: 1, help: 'PPO epochs per update' },
  { name: 'gamma', type: 'number', default: CLASSIC_DEFAULTS.gamma, min: 0, max: 1, help: 'discount γ' },
  { name: 'gae-lambda', type: 'number', default: CLASSIC_DEFAULTS['gae-lambda'], min: 0, max: 1, help: 'GAE λ' },
  { name: 'clip-coef', type: 'number', default: CLASSIC_DEFAULTS['clip-coef'], min: 0, help: 'policy and value clip ε' },
  { name: 'ent-coef', type: 'number', default: CLASSIC_DEFAULTS['ent-coef'], min: 0, help: 'entropy bonus coefficient' },
  { name: 'vf-coef', type: 'number', default: CLASSIC_DEFAULTS['vf-coef'], min: 0, help: 'value loss coefficient' },
  {
    name: 'max-grad-norm',
    type: 'number',
    default: CLASSIC_DEFAULTS['max-grad-norm'],
    min: 0,
    help: 'gradient-norm clip per model (0: none)',
  },
  { name: 'lr', type: 'number', default: CLASSIC_DEFAULTS.lr, min: 0, minExclusive: true, help: 'learning rate (Adam, eps 1e-5)' },
  { name: 'student-lr', type: 'number', min: 0, minExclusive: true, defaultText: "the teacher's --lr", help: "students' learning rate" },
  { name: 'lr-min', type: 'number', default: CLASSIC_DEFAULTS['lr-min'], min: 0, help: 'final learning rate of the cosine schedule' },
  {
    name: 'schedule',
    type: 'string',
    default: CLASSIC_DEFAULTS.schedule,
    choices: RL_SCHEDULES,
    help: 'learning-rate schedule over all updates',
  },
  {
    name: 'student-weight-decay',
    type: 'number',
    default: CLASSIC_DEFAULTS['student-weight-decay'],
    min: 0,
    help: "students' Adam weight decay",
  },
  {
    name: 'cache-rollouts',
    type: 'int',
    default: CLASSIC_DEFAULTS['cache-rollouts'],
    min: 1,
    help: "rollouts whose observations the students' cache passes walk",
  },
];

export function rlSettingsFrom(v: OptionValues): RlSettings {
  const lr = v.number('lr');
  const s: RlSettings = {
    env: v.choice('env', CLASSIC_ENVS),
    totalSteps: v.number('total-steps'),
    numEnvs: v.number('num-envs'),
    numSteps: v.number('num-steps'),
    minibatches: v.number('minibatches'),
    updateEpochs: v.number('update-epochs'),
    gamma: v.number('gamma'),
    gaeLambda: v.number('gae-lambda'),
    clipCoef: v.number('clip-coef'),
    entCoef: v.number('ent-coef'),
    vfCoef: v.number('vf-coef'),
    maxGradNorm: v.number('max-grad-norm'),
    lr,
    studentLr: v.optionalNumber('student-lr') ?? lr,
    lrMin: v.number('lr-min'),
    schedule: v.choice('schedule', RL_SCHEDULES),
    studentWeightDecay: v.number('student-weight-decay'),
    cacheRollouts: v.number('cache-rollouts'),
  };
  checkRlSettings(s);
  return s;
}

/** Combinations a flag's own range cannot catch. */
function checkRlSettings(s: RlSettings): void {
  const batch = s.numEnvs * s.numSteps;
  if (s.minibatches > batch)
    throw new UsageError(`--minibatches ${s.minibatches} is more than the ${batch} samples of a rollout (--num-envs × --num-steps)`);
  if (s.totalSteps < batch) {
    throw new UsageError(
      `--total-steps ${s.totalSteps} is less than one rollout (${batch} = --num-envs ${s.numEnvs} × --num-steps ${s.numSteps})`,
    );
  }
}

export function parseRlSettings(raw: unknown, where: string): RlSettings {
  const f = Fields.of(raw, where);
  return {
    env: f.choice('env', CLASSIC_ENVS),
    totalSteps: f.int('totalSteps'),
    numEnvs: f.int('numEnvs'),
    numSteps: f.int('numSteps'),
    minibatches: f.int('minibatches'),
    updateEpochs: f.int('updateEpochs'),
    gamma: f.num('gamma'),
    gaeLambda: f.num('gaeLambda'),
    clipCoef: f.num('clipCoef'),
    entCoef: f.num('entCoef'),
    vfCoef: f.num('vfCoef'),
    maxGradNorm: f.num('maxGradNorm'),
    lr: f.num('lr'),
    studentLr: f.num('studentLr'),
    lrMin: f.num('lrMin'),
    schedule: f.choice('schedule', RL_SCHEDULES),
    studentWeightDecay: f.num('studentWeightDecay'),
    cacheRollouts: f.int('cacheRollouts'),
  };
}

/** PPO updates of a run of `totalSteps` agent steps (CleanRL: total_timesteps // batch_size). */
export const updatesOf = (s: Pick<RlSettings, 'totalSteps' | 'numEnvs' | 'numSteps'>): number =>
  Math.floor(s.totalSteps / (s.numEnvs * s.numSteps));

/** LoT's cost per PPO update over teacher-only's, with a full cache (docs/METHOD.md: about 17× at N = 5). */
/** In minibatch-forward units F: the rollout (minibatches F), PPO epochs (3F per minibatch per model), cache passes (1F teacher + 3F per student). */
export function ppoCostRatio(
  s: Pick<PpoSettings, 'minibatches' | 'updateEpochs' | 'cacheRollouts'>,
  n: number,
  studentRelative: number[],
): number {
  if (studentRelative.length === 0) return 1;
  const perMinibatch = studentRelative.reduce((a, r) => a + 3 * r, 0);
  const teacherOnly = s.minibatches + s.updateEpochs * s.minibatches * 3;
  const lot = teacherOnly + s.updateEpochs * s.minibatches * perMinibatch + n * s.cacheRollouts * s.minibatches * (1 + perMinibatch);
  return lot / teacherOnly;
}

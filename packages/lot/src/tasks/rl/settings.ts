// The RL domain's settings (config.json fields beside the harness's) and their flags: CleanRL's
// ppo.py recipe for classic control (docs/METHOD.md#reinforcement-learning), each default per
// environment family so that `--env` alone gives the reference setting.
import { Fields, type OptionSpec, type OptionValues, UsageError } from '../../harness/index.js';
import { CLASSIC_ENVS } from './envs/env.js';
import type { PpoSettings } from './ppo.js';

/** mlp: ppo.py's agent (vector observations); nature-cnn: ppo_atari's (stacked frames). */
export const RL_MODELS = ['mlp', 'nature-cnn'] as const;
/** linear: to 0 over all updates (ppo.py); cosine: to --lr-min (the reference's Atari schedule). */
export const RL_SCHEDULES = ['linear', 'cosine', 'constant'] as const;

/** Whether `id` names an Atari game as the ALE worker takes it: <Game>NoFrameskip-v4. */
export const isAtariEnvId = (id: string): boolean => /^[A-Za-z0-9]+NoFrameskip-v4$/.test(id);

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

type FamilyDefaults = Record<string, number | string>;

/** ppo.py's settings, LOT.md's classic-control LoT setting, and a budget where the curves still differ. */
const CLASSIC_DEFAULTS: FamilyDefaults = {
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
};

/** The LoT reference's Atari settings (ppo_atari with clip 0.1 and a cosine to 2.5e-6; 20 M agent steps). */
const ATARI_DEFAULTS: FamilyDefaults = {
  ...CLASSIC_DEFAULTS,
  'total-steps': 20_000_000,
  'num-envs': 8,
  'clip-coef': 0.1,
  'lr-min': 2.5e-6,
  schedule: 'cosine',
};

const familyDefaults = (env: string): FamilyDefaults => (isAtariEnvId(env) ? ATARI_DEFAULTS : CLASSIC_DEFAULTS);
/** "4 (Atari: 8)" where the families differ. */
const shown = (name: string): string =>
  CLASSIC_DEFAULTS[name] === ATARI_DEFAULTS[name]
    ? String(CLASSIC_DEFAULTS[name])
    : `${CLASSIC_DEFAULTS[name]} (Atari: ${ATARI_DEFAULTS[name]})`;

type RlOption = Omit<OptionSpec, 'default' | 'defaultText'>;
/** An option whose default depends on the environment's family: shown for both, applied in rlSettingsFrom. */
const perFamily = (o: RlOption): OptionSpec => ({ ...o, defaultText: shown(o.name) });

export const rlOptions = (): OptionSpec[] => [
  {
    name: 'env',
    type: 'string',
    default: 'CartPole-v1',
    placeholder: 'ID',
    help: `environment: ${CLASSIC_ENVS.join(' or ')} (simulated in TypeScript with gymnasium's dynamics), or an Atari game <Game>NoFrameskip-v4 (the Arcade Learning Environment, in a Python worker with its own virtual environment, made on first use)`,
  },
  perFamily({
    name: 'total-steps',
    type: 'int',
    min: 1,
    placeholder: 'N',
    help: 'agent steps per run (LoT and teacher-only; equal compute runs more)',
  }),
  perFamily({ name: 'num-envs', type: 'int', min: 1, help: 'parallel environments' }),
  perFamily({ name: 'num-steps', type: 'int', min: 1, help: 'steps per environment per rollout' }),
  perFamily({ name: 'minibatches', type: 'int', min: 1, help: 'minibatches per PPO epoch' }),
  perFamily({ name: 'update-epochs', type: 'int', min: 1, help: 'PPO epochs per update' }),
  perFamily({ name: 'gamma', type: 'number', min: 0, max: 1, help: 'discount γ' }),
  perFamily({ name: 'gae-lambda', type: 'number', min: 0, max: 1, help: 'GAE λ' }),
  perFamily({ name: 'clip-coef', type: 'number', min: 0, help: 'policy and value clip ε' }),
  perFamily({ name: 'ent-coef', type: 'number', min: 0, help: 'entropy bonus coefficient' }),
  perFamily({ name: 'vf-coef', type: 'number', min: 0, help: 'value loss coefficient' }),
  perFamily({ name: 'max-grad-norm', type: 'number', min: 0, help: 'gradient-norm clip per model (0: none)' }),
  perFamily({ name: 'lr', type: 'number', min: 0, minExclusive: true, help: 'learning rate (Adam, eps 1e-5)' }),
  { name: 'student-lr', type: 'number', min: 0, minExclusive: true, defaultText: "the teacher's --lr", help: "students' learning rate" },
  perFamily({ name: 'lr-min', type: 'number', min: 0, help: 'final learning rate of the cosine schedule' }),
  perFamily({ name: 'schedule', type: 'string', choices: RL_SCHEDULES, help: 'learning-rate schedule over all updates' }),
  perFamily({ name: 'student-weight-decay', type: 'number', min: 0, help: "students' Adam weight decay" }),
  perFamily({ name: 'cache-rollouts', type: 'int', min: 1, help: "rollouts whose observations the students' cache passes walk" }),
];

/** The agent an environment needs: the Nature CNN for Atari frames, the MLP otherwise. */
export const modelForEnv = (env: string): (typeof RL_MODELS)[number] => (isAtariEnvId(env) ? 'nature-cnn' : 'mlp');

export function rlSettingsFrom(v: OptionValues): RlSettings {
  const env = v.string('env');
  if (!(CLASSIC_ENVS as readonly string[]).includes(env) && !isAtariEnvId(env)) {
    throw new UsageError(
      `--env ${env} is not an environment here: use ${CLASSIC_ENVS.join(' or ')}, or an Atari game as <Game>NoFrameskip-v4 (e.g. BreakoutNoFrameskip-v4)`,
    );
  }
  const model = modelForEnv(env);
  for (const flag of ['teacher', 'student']) {
    const names = v.isExplicit(flag) ? (flag === 'teacher' ? [v.string(flag)] : v.stringList(flag)) : [];
    const wrong = names.find((n) => n !== model);
    if (wrong) throw new UsageError(`--${flag} ${wrong} cannot act in ${env}: its observations need --${flag} ${model}`);
  }
  const family = familyDefaults(env);
  const num = (name: string): number => (v.isExplicit(name) ? v.number(name) : Number(family[name]));
  const lr = num('lr');
  const schedule = v.isExplicit('schedule') ? v.choice('schedule', RL_SCHEDULES) : (family.schedule as RlSettings['schedule']);
  const s: RlSettings = {
    env,
    totalSteps: num('total-steps'),
    numEnvs: num('num-envs'),
    numSteps: num('num-steps'),
    minibatches: num('minibatches'),
    updateEpochs: num('update-epochs'),
    gamma: num('gamma'),
    gaeLambda: num('gae-lambda'),
    clipCoef: num('clip-coef'),
    entCoef: num('ent-coef'),
    vfCoef: num('vf-coef'),
    maxGradNorm: num('max-grad-norm'),
    lr,
    studentLr: v.optionalNumber('student-lr') ?? lr,
    lrMin: num('lr-min'),
    schedule,
    studentWeightDecay: num('student-weight-decay'),
    cacheRollouts: num('cache-rollouts'),
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
    env: f.str('env'),
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

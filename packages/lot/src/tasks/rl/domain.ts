// Reinforcement learning as a harness domain: `lot train rl`, PPO with LoT. Light (no libtorch):
// the runtime with environments, agents and the PPO loop is loaded when a run starts. One teacher
// step is one PPO update; the run is one "epoch" of all its updates, evaluated (the training
// episodes' returns) every --eval-every updates.
import type { Domain } from '../../harness/index.js';
import { CLASSIC_ENVS, type ClassicEnvId, REWARD_THRESHOLD } from './envs/env.js';
import { modelForEnv, parseRlSettings, ppoCostRatio, RL_MODELS, type RlSettings, rlOptions, rlSettingsFrom } from './settings.js';

/** The teacher's training episodes: raw returns (mean of the episodes since the last evaluation) and their EMA, against agent steps. */
const RETURN = {
  key: 'episodicReturn',
  label: 'episodic return',
  direction: 'max',
  percent: false,
  progress: { key: 'agentSteps', label: 'agent steps' },
  smoothedKey: 'episodicReturnEma',
} as const;

export const rlDomain: Domain<RlSettings, unknown> = {
  name: 'rl',
  summary: 'PPO agents on classic control (CartPole-v1, Acrobot-v1) and Atari games (the ALE); one teacher step is one PPO update',
  models: RL_MODELS,
  defaultModel: 'mlp',
  defaultModelFor: (v) => modelForEnv(v.string('env')),
  metric: RETURN,
  nLabel: 'N (passes of student steps over the rollout cache per update)',
  progressKeys: ['episodes'],
  metricFor: (s) => ({ ...RETURN, threshold: REWARD_THRESHOLD[s.env as ClassicEnvId] }),
  options: rlOptions(),
  // LOT.md's RL setting: α 0.5, N 5 passes over the cache, τ 1, the students' loss is the KL alone.
  defaults: { epochs: 1, alpha: 0.5, n: 5, tau: 1, variant: 'kl', 'eval-every': 5, 'log-every': 1 },
  examples: [
    `lot train rl --env ${CLASSIC_ENVS[0]} --seeds 0,1,2,3,4 --methods lot,teacher-only,equal-compute`,
    `lot train rl --env ${CLASSIC_ENVS[1]} --total-steps 200000 --n 2`,
  ],
  notes: [
    'One teacher step is one PPO update (--num-envs × --num-steps agent steps); --max-steps counts updates. --teacher and --student default to the network the environment needs: mlp for classic control, nature-cnn for Atari games.',
    "A checkpoint is written at every evaluation (--eval-every updates) and at the end. It holds the models, optimizers, schedules, random generators, episode statistics and the cache of the last --cache-rollouts rollouts; for classic control also the environments (state and generators) and the acting position, so `lot resume` continues exactly. Atari emulators are not saved: a resumed Atari run restarts its environments' episodes. An Atari checkpoint holds the cache of observations: --cache-rollouts × --num-envs × --num-steps × 28,224 bytes, 289 MB with the defaults, so give Atari runs a larger --eval-every (e.g. 50).",
  ],
  costRatio: (settings, n, relative) => ppoCostRatio(settings, n, relative),
  settingsFrom: rlSettingsFrom,
  parseSettings: parseRlSettings,
  dataLabel: (s) => s.env,
  runtime: async () => (await import('./runtime.js')).rlRuntime,
};

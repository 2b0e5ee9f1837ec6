// The RL domain's runtime: environments, agents, optimizers and schedules, and the run the harness
// drives: each main-stream batch is a rollout of the teacher (ppo.ts collectRollout), each teacher
// step a PPO update with LoT (ppo.ts ppoUpdate). Environments, the acting position, episode
// statistics and the students' cache are domain state, so a resumed run continues exactly.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import type { DomainRun, DomainRuntime, Evaluation, RunConfig, Schedule } from '../../harness/index.js';
import { klTau, type Learner, relativeCostFromParameters } from '../../lot/index.js';
import { ClassicVectorEnv, type ClassicVectorEnvState } from './envs/vector.js';
import { MlpAgent } from './networks.js';
import {
  type ActingState,
  collectRollout,
  type EpisodeStats,
  freshEpisodeStats,
  type PpoBatch,
  type PpoOutput,
  ppoTask,
  ppoUpdate,
  type Rollout,
} from './ppo.js';
import { type RlSettings, updatesOf } from './settings.js';

type RlRunConfig = RunConfig & RlSettings;

function createRlRun(cfg: RlRunConfig): DomainRun<PpoBatch, PpoOutput> {
  const envs = new ClassicVectorEnv(cfg.env, cfg.numEnvs, cfg.seed);
  const updates = updatesOf(cfg);
  const learner = (seed: number, lr: number, weightDecay: number): Learner => {
    torch.manualSeed(seed);
    const model = new MlpAgent(envs.obsSize, envs.actions);
    return {
      model,
      optimizer: new torch.optim.Adam(model.parameters(), { lr, eps: 1e-5, weightDecay }),
      ...(cfg.maxGradNorm > 0 ? { beforeStep: (m) => void torch.optim.clipGradNorm_(m.parameters(), cfg.maxGradNorm) } : {}),
    };
  };
  const teacher = learner(cfg.seed, cfg.lr, 0);
  const students = cfg.students.map((_, i) => learner(cfg.seed + 1 + i, cfg.studentLr, cfg.studentWeightDecay));
  // Every model anneals over all updates of the run (equal compute: over its longer run).
  const schedules: Record<string, Schedule> = {};
  [teacher, ...students].forEach((l, i) => {
    if (cfg.schedule === 'constant' || !(l.optimizer instanceof torch.optim.Optimizer)) return;
    const horizon = cfg.epochs * updates;
    const scheduler =
      cfg.schedule === 'linear'
        ? new torch.optim.LinearLR(l.optimizer, { startFactor: 1, endFactor: 0, totalIters: horizon })
        : new torch.optim.CosineAnnealingLR(l.optimizer, horizon, cfg.lrMin);
    schedules[i === 0 ? 'teacher' : `student${i - 1}`] = { scheduler, every: 'step' };
  });

  torch.manualSeed(cfg.seed);
  let acting: ActingState = { obs: envs.reset(), done: new Float32Array(cfg.numEnvs) };
  let stats: EpisodeStats = freshEpisodeStats();
  let lastReturn: number | null = null;
  let cache: Tensor[] = [];

  return {
    teacher,
    students,
    task: ppoTask(cfg),
    studentRelativeCost: students.map((s) => relativeCostFromParameters(teacher.model, s.model)),
    stepsPerEpoch: updates,
    unit: 'step',
    mainBatch: (): Rollout => collectRollout(teacher.model as MlpAgent, envs, acting, stats, cfg),
    cursorBatch: () => {
      throw new Error("PPO has no students' cursor: the students walk the cache of rollouts");
    },
    teacherStep: (trainer, batch, update) => ppoUpdate(trainer, batch as Rollout, cache, update, cfg),
    schedules,
    evaluate(trainer): Evaluation {
      // The teacher's training episodes since the previous evaluation (the reference reports
      // training returns); when none ended, the last value carries over.
      const recent = stats.recent;
      if (recent.length) lastReturn = recent.reduce((a, e) => a + e.return, 0) / recent.length;
      const teacherMetrics = {
        episodicReturn: lastReturn,
        episodicReturnEma: stats.returnEma,
        episodicLength: recent.length ? recent.reduce((a, e) => a + e.length, 0) / recent.length : null,
        episodes: stats.episodes,
        agentSteps: stats.agentSteps,
      };
      stats = { ...stats, recent: [] };
      // KLτ(teacher ‖ first student) on the last rollout's observations: how well the student imitates.
      const last = cache.at(-1);
      const kl =
        last && trainer.students.length
          ? torch.tidy(() =>
              torch.noGrad(() => {
                const t = (trainer.teacher.model as MlpAgent).act(last, false).logits;
                const s = (trainer.students[0]!.model as MlpAgent).act(last, false).logits;
                return klTau(t, s, cfg.tau).item();
              }),
            )
          : null;
      // The students never act: they have no return of their own.
      return { teacher: teacherMetrics, students: [], kl };
    },
    saveState: () => ({
      envs: envs.state() as unknown as torch.Saveable,
      acting: { obs: torch.tensor(acting.obs), done: torch.tensor(acting.done) },
      stats: { ...stats, recent: stats.recent.map((e) => [e.return, e.length]) },
      lastReturn,
      cache: [...cache],
    }),
    loadState(saved) {
      envs.loadState(saved.envs as unknown as ClassicVectorEnvState);
      const a = saved.acting as { obs: Tensor; done: Tensor };
      acting = { obs: a.obs.data() as Float32Array, done: a.done.data() as Float32Array };
      const s = saved.stats as { agentSteps: number; episodes: number; returnEma: number | null; recent: [number, number][] };
      stats = {
        agentSteps: s.agentSteps,
        episodes: s.episodes,
        returnEma: s.returnEma,
        recent: s.recent.map(([r, l]) => ({ return: r, length: l })),
      };
      lastReturn = saved.lastReturn as number | null;
      torch.dispose(cache);
      cache = (saved.cache as Tensor[]).map((t) => torch.keep(t.clone()));
    },
    dispose: () => torch.dispose(cache),
  };
}

export const rlRuntime: DomainRuntime<RlSettings, null> = {
  loadData: async () => null,
  describeData: () => 'environments simulated in TypeScript',
  createRun: (cfg) => createRlRun(cfg as RlRunConfig) as unknown as DomainRun<unknown>,
};

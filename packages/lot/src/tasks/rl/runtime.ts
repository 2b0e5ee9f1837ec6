// The RL domain's runtime: environments, agents, optimizers and schedules, and the run the harness
// drives: each main-stream batch is a rollout of the teacher (ppo.ts collectRollout), each teacher
// step a PPO update with LoT (ppo.ts ppoUpdate). Environments, the acting position, episode
// statistics and the students' cache are domain state, so a resumed run continues exactly.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import type { DomainRun, DomainRuntime, Evaluation, RunConfig, RunPlacement, Schedule } from '../../harness/index.js';
import { klTau, type Learner, relativeCostFromParameters } from '../../lot/index.js';
import { AtariVectorEnv } from './atari/atari-env.js';
import { type AtariPython, ensureAtariPython } from './atari/python-env.js';
import { ClassicVectorEnv, type ClassicVectorEnvState } from './envs/vector.js';
import { type Agent, MlpAgent, NatureCnnAgent } from './networks.js';
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
import { isAtariEnvId, type RlSettings, updatesOf } from './settings.js';

type RlRunConfig = RunConfig & RlSettings;

/** The environments of a run: classic control in this process, or Atari games in an ALE worker (`python`: its venv), seeded from `seed`. */
function makeEnvs(cfg: RlRunConfig, python: AtariPython | null, seed: number): ClassicVectorEnv | AtariVectorEnv {
  if (!isAtariEnvId(cfg.env)) return new ClassicVectorEnv(cfg.env, cfg.numEnvs, seed);
  if (!python) throw new Error(`${cfg.env}: the Atari environments need the emulator's Python environment, which was not prepared`);
  return new AtariVectorEnv(cfg.env, cfg.numEnvs, seed, { python: python.python });
}

/**
 * A run. Data-parallel as CleanRL's ppo_atari_multigpu: each rank steps its own --num-envs
 * environments (seeded after the other ranks' and acting with its own draws), every update
 * averages gradients over ranks, and --total-steps counts all ranks' agent steps.
 */
function createRlRun(cfg: RlRunConfig, python: AtariPython | null, { device, shard }: RunPlacement): DomainRun<PpoBatch, PpoOutput> {
  const envs = makeEnvs(cfg, python, cfg.seed + shard.rank * cfg.numEnvs);
  const atari = envs instanceof AtariVectorEnv;
  const updates = Math.max(1, Math.floor(updatesOf(cfg) / shard.count));
  const learner = (seed: number, lr: number, weightDecay: number): Learner => {
    torch.manualSeed(seed);
    const built: Agent = atari ? new NatureCnnAgent(envs.actions) : new MlpAgent((envs as ClassicVectorEnv).obsSize, envs.actions);
    const model = built.to(device);
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

  torch.manualSeed(cfg.seed + shard.rank);
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
    mainBatch: (): Rollout => collectRollout(teacher.model as Agent, envs, acting, stats, cfg, device),
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
        // Every rank's (they step alike); returns and episodes are this rank's environments'.
        agentSteps: stats.agentSteps * shard.count,
      };
      stats = { ...stats, recent: [] };
      // KLτ(teacher ‖ first student) on the last rollout's observations: how well the student imitates.
      const last = cache.at(-1);
      const kl =
        last && trainer.students.length
          ? torch.tidy(() =>
              torch.noGrad(() => {
                const t = (trainer.teacher.model as Agent).act(last, false).logits;
                const s = (trainer.students[0]!.model as Agent).act(last, false).logits;
                return klTau(t, s, cfg.tau).item();
              }),
            )
          : null;
      // The students never act: they have no return of their own.
      return { teacher: teacherMetrics, students: [], kl };
    },
    // Classic control saves its environments and acting position, so resume is exact; Atari
    // games cannot save the emulators' state here: on resume their episodes start afresh.
    saveState: () => ({
      ...(envs instanceof ClassicVectorEnv
        ? {
            envs: envs.state() as unknown as torch.Saveable,
            acting: { obs: torch.tensor(acting.obs), done: torch.tensor(acting.done) },
          }
        : {}),
      stats: { ...stats, recent: stats.recent.map((e) => [e.return, e.length]) },
      lastReturn,
      cache: [...cache],
    }),
    loadState(saved) {
      // Only rank 0's environments are in the checkpoint: the other ranks' start new episodes.
      if (envs instanceof ClassicVectorEnv && shard.rank === 0) {
        envs.loadState(saved.envs as unknown as ClassicVectorEnvState);
        const a = saved.acting as { obs: Tensor; done: Tensor };
        acting = { obs: a.obs.data() as Float32Array, done: a.done.data() as Float32Array };
      }
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
    dispose: () => {
      torch.dispose(cache);
      if (envs instanceof AtariVectorEnv) envs.close();
    },
  };
}

export const rlRuntime: DomainRuntime<RlSettings, AtariPython | null> = {
  // The emulator's Python environment is made once, before the first run (minutes the first time).
  loadData: async (cfg, log) => (isAtariEnvId(cfg.env) ? ensureAtariPython(log) : null),
  describeData: (python) =>
    python ? `Atari through ale-py ${python.versions['ale-py'] ?? '?'} (${python.python})` : 'environments simulated in TypeScript',
  createRun: (cfg, python, placement) => createRlRun(cfg as RlRunConfig, python, placement) as unknown as DomainRun<unknown>,
};

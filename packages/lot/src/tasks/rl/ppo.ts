// PPO with LoT, read top to bottom as CleanRL's ppo.py / ppo_atari.py (docs/METHOD.md#reinforcement-learning):
//   1. rollout: the teacher acts in the vectorized environments for numSteps steps;
//   2. GAE: advantages and returns, bootstrapped from the value of the next observation;
//   3. update: updateEpochs passes over the rollout in shuffled minibatches, each a LoT joint
//      step (teacher: PPO loss + α·KL(π_s ‖ π_t); students: KL(π_t ‖ π_s) only), α = 0 on the
//      first update while the students already train;
//   4. LoT cache passes: N times over the observations of the last `cacheRollouts` rollouts,
//      oldest first, shuffled within each, a student-only KL step per minibatch against the
//      current teacher.
// The LoT updates themselves are LotTrainer's (jointStep, studentStep); this file only decides
// what they see and when.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import type { LotStepMetrics, LotTask, LotTrainer } from '../../lot/index.js';
import type { Agent, AgentOutput } from './networks.js';

const F = torch.nn.functional;

export interface PpoSettings {
  numEnvs: number;
  numSteps: number;
  minibatches: number;
  updateEpochs: number;
  gamma: number;
  gaeLambda: number;
  /** Policy and value clip ε (clip_coef). */
  clipCoef: number;
  entCoef: number;
  vfCoef: number;
  /** Observations of this many last rollouts feed the students' cache passes. */
  cacheRollouts: number;
}

/** What the teacher's acting needs from the environments (classic control or Atari workers). */
export interface VectorEnv {
  readonly numEnvs: number;
  /** One observation's shape ([4] for CartPole, [4, 84, 84] for Atari). */
  readonly obsShape: readonly number[];
  readonly actions: number;
  /** The first observations of all environments, flat. */
  reset(): Float32Array | Uint8Array;
  /** One step of every environment; an environment that ends restarts at once (its new first observation is returned). */
  step(actions: Int32Array): VectorStep;
}

export interface VectorStep {
  obs: Float32Array | Uint8Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** Episodes that ended in this step: raw (unclipped) return and length. */
  finished: { env: number; return: number; length: number }[];
}

/** A rollout, flattened time-major as CleanRL's b_* tensors ([numSteps·numEnvs, …]). */
export interface Rollout {
  obs: Tensor;
  actions: Tensor;
  logprobs: Tensor;
  values: Tensor;
  advantages: Tensor;
  returns: Tensor;
}

/** A minibatch of a rollout; the students' cache passes carry observations only. */
export type PpoBatch = Partial<Omit<Rollout, 'obs'>> & { obs: Tensor };

/** The agent's output as LoT sees it: the logits LoT compares, and the value PPO's loss needs. */
export interface PpoOutput {
  logits: Tensor;
  value: Tensor | null;
}

/**
 * GAE(γ, λ) as CleanRL computes it, over time-major arrays [numSteps·numEnvs]. `dones[t]` is 1 when
 * obs[t] starts a new episode (the previous step ended one); `nextDone` and `nextValue` are those of
 * the observation after the rollout. Returns advantages and returns (advantages + values).
 */
export function computeGae(
  rewards: Float32Array,
  values: Float32Array,
  dones: Float32Array,
  nextValue: Float32Array,
  nextDone: Float32Array,
  numEnvs: number,
  gamma: number,
  lambda: number,
): { advantages: Float32Array; returns: Float32Array } {
  const steps = rewards.length / numEnvs;
  const advantages = new Float32Array(rewards.length);
  for (let e = 0; e < numEnvs; e++) {
    let lastGae = 0;
    for (let t = steps - 1; t >= 0; t--) {
      const i = t * numEnvs + e;
      const last = t === steps - 1;
      const nextNonTerminal = 1 - (last ? nextDone[e]! : dones[i + numEnvs]!);
      const nextValues = last ? nextValue[e]! : values[i + numEnvs]!;
      const delta = rewards[i]! + gamma * nextValues * nextNonTerminal - values[i]!;
      lastGae = delta + gamma * lambda * nextNonTerminal * lastGae;
      advantages[i] = lastGae;
    }
  }
  const returns = advantages.map((a, i) => a + values[i]!);
  return { advantages, returns };
}

/**
 * PPO's loss on a minibatch (clipped surrogate, clipped value loss, entropy bonus), with the
 * advantages normalized per minibatch: pg − entCoef·entropy + vfCoef·v.
 */
export function ppoLoss(out: PpoOutput, mb: PpoBatch, s: Pick<PpoSettings, 'clipCoef' | 'entCoef' | 'vfCoef'>): Tensor {
  if (!mb.actions || !mb.logprobs || !mb.advantages || !mb.returns || !mb.values || !out.value) {
    throw new Error('ppoLoss: the minibatch needs actions, log-probabilities, advantages, returns and values, and the output a value');
  }
  return torch.tidy(() => {
    const logp = F.logSoftmax(out.logits, -1);
    const newLogprob = logp.gather(1, mb.actions!.reshape(-1, 1)).reshape(-1);
    const entropy = logp.exp().mul(logp).sum(-1).neg();
    const ratio = newLogprob.sub(mb.logprobs!).exp();
    const adv = mb.advantages!;
    const normAdv = adv.sub(adv.mean()).div(adv.std().add(1e-8));
    const pg = normAdv
      .neg()
      .mul(ratio)
      .maximum(normAdv.neg().mul(ratio.clamp(1 - s.clipCoef, 1 + s.clipCoef)))
      .mean();
    const value = out.value!;
    const unclipped = value.sub(mb.returns!).pow(2);
    const clipped = mb.values!.add(value.sub(mb.values!).clamp(-s.clipCoef, s.clipCoef)).sub(mb.returns!).pow(2);
    const vLoss = unclipped.maximum(clipped).mean().mul(0.5);
    return pg.sub(entropy.mean().mul(s.entCoef)).add(vLoss.mul(s.vfCoef));
  });
}

/** The LoT task of PPO: the forward pass gives logits (and the value for the teacher), the task loss is PPO's. */
export function ppoTask(s: PpoSettings): LotTask<PpoBatch, PpoOutput> {
  return {
    // The students' critics are never trained or used: their forward passes skip them.
    forward: (model, batch, ctx): PpoOutput =>
      (model as unknown as Agent).act(batch.obs, ctx.role === 'teacher' && batch.actions !== undefined),
    taskLoss: (out, batch) => ppoLoss(out, batch, s),
    batchSize: (batch) => batch.obs.shape[0]!,
  };
}

/** Episode statistics of the teacher's acting (training episodes, raw returns). */
export interface EpisodeStats {
  agentSteps: number;
  episodes: number;
  /** EMA 0.9/0.1 of the raw returns, as the reference logs them; null before the first episode. */
  returnEma: number | null;
  /** Returns and lengths of episodes finished since the last evaluation. */
  recent: { return: number; length: number }[];
}

export const freshEpisodeStats = (): EpisodeStats => ({ agentSteps: 0, episodes: 0, returnEma: null, recent: [] });

/** The environments' running position: the next observation and whether it starts an episode. */
export interface ActingState {
  obs: Float32Array | Uint8Array;
  done: Float32Array;
}

/** Step 1 and 2: the teacher acts for numSteps steps in every environment; GAE over the result (tensors on the agent's `device`). */
export function collectRollout(
  agent: Agent,
  envs: VectorEnv,
  acting: ActingState,
  stats: EpisodeStats,
  s: PpoSettings,
  device = 'cpu',
): Rollout {
  const { numEnvs } = envs;
  const obsSize = envs.obsShape.reduce((a, b) => a * b, 1);
  const rows = s.numSteps * numEnvs;
  const obsAll = acting.obs instanceof Uint8Array ? new Uint8Array(rows * obsSize) : new Float32Array(rows * obsSize);
  const actions = new Int32Array(rows);
  const logprobs = new Float32Array(rows);
  const values = new Float32Array(rows);
  const rewards = new Float32Array(rows);
  const dones = new Float32Array(rows);
  const onDevice = (t: Tensor): Tensor => (device === 'cpu' ? t : t.to(device));
  const toTensor = (obs: Float32Array | Uint8Array, n: number) => onDevice(torch.tensor(obs, { shape: [n, ...envs.obsShape] }));
  const toHost = (t: Tensor): Tensor => (device === 'cpu' ? t : t.to('cpu'));
  torch.noGrad(() => {
    for (let t = 0; t < s.numSteps; t++) {
      obsAll.set(acting.obs, t * numEnvs * obsSize);
      dones.set(acting.done, t * numEnvs);
      const [action, logprob, value] = torch.tidy(() => {
        const out: AgentOutput = agent.act(toTensor(acting.obs, numEnvs));
        const logp = F.logSoftmax(out.logits, -1);
        const a = torch.ops.aten.multinomial.default(logp.exp(), 1) as Tensor;
        return [toHost(a.reshape(-1).to('int32')).data(), toHost(logp.gather(1, a).reshape(-1)).data(), toHost(out.value!).data()];
      });
      actions.set(action as Int32Array, t * numEnvs);
      logprobs.set(logprob as Float32Array, t * numEnvs);
      values.set(value as Float32Array, t * numEnvs);
      const r = envs.step(actions.subarray(t * numEnvs, (t + 1) * numEnvs));
      rewards.set(r.rewards, t * numEnvs);
      acting.obs = r.obs;
      acting.done = Float32Array.from(r.terminated, (x, e) => (x || r.truncated[e] ? 1 : 0));
      stats.agentSteps += numEnvs;
      for (const f of r.finished) {
        stats.episodes += 1;
        stats.returnEma = stats.returnEma === null ? f.return : 0.9 * stats.returnEma + 0.1 * f.return;
        stats.recent.push({ return: f.return, length: f.length });
      }
    }
  });
  const nextValue = torch.tidy(() => torch.noGrad(() => toHost(agent.act(toTensor(acting.obs, numEnvs)).value!).data() as Float32Array));
  const { advantages, returns } = computeGae(rewards, values, dones, nextValue, acting.done, numEnvs, s.gamma, s.gaeLambda);
  return torch.tidy(() => ({
    obs: toTensor(obsAll, rows),
    actions: onDevice(torch.tensor(actions).to('int64')),
    logprobs: onDevice(torch.tensor(logprobs)),
    values: onDevice(torch.tensor(values)),
    advantages: onDevice(torch.tensor(advantages)),
    returns: onDevice(torch.tensor(returns)),
  }));
}

const take = (batch: PpoBatch, index: Tensor): PpoBatch =>
  Object.fromEntries(Object.entries(batch).map(([k, t]) => [k, (t as Tensor).indexSelect(0, index)])) as PpoBatch;

/** Shuffled minibatches of `batch` (torch's generator, so a resumed run shuffles the same). */
function* minibatches(batch: PpoBatch, count: number): Generator<PpoBatch> {
  const rows = batch.obs.shape[0]!;
  const size = Math.floor(rows / count);
  const device = batch.obs.device;
  const order = torch.keep(device === 'cpu' ? torch.randperm(rows) : torch.tidy(() => torch.randperm(rows).to(device)));
  try {
    for (let k = 0; k < count; k++) {
      const mb = torch.tidy(() => take(batch, order.slice(0, k * size, (k + 1) * size)));
      try {
        yield mb;
      } finally {
        torch.dispose(mb);
      }
    }
  } finally {
    order.dispose();
  }
}

/**
 * Steps 3 and 4 for one rollout: the PPO epochs as LoT joint steps, then the students' passes
 * over the cache (`cache` holds the last rollouts' observations; this rollout's is appended).
 * `update` counts from 0; α is 0 in the teacher's loss on update 0.
 */
export function ppoUpdate(
  trainer: LotTrainer<PpoBatch, PpoOutput>,
  rollout: Rollout,
  cache: Tensor[],
  update: number,
  s: PpoSettings,
): LotStepMetrics {
  const rows = rollout.obs.shape[0]!;
  const cost0 = trainer.costUnits;
  // The rollout's forward passes, in minibatch-forward units F (the trainer counts its own steps).
  trainer.addCost(s.minibatches);
  let losses = 0;
  let taskLosses = 0;
  let last: LotStepMetrics | null = null;
  for (let epoch = 0; epoch < s.updateEpochs; epoch++) {
    for (const mb of minibatches(rollout, s.minibatches)) {
      last = trainer.jointStep(mb, update === 0 ? { alpha: 0 } : {});
      losses += last.teacherLoss;
      taskLosses += last.teacherTaskLoss;
    }
  }
  const metrics: LotStepMetrics = {
    ...last!,
    // The teacher's losses averaged over the update's minibatches; the students' KL of the last one;
    // costUnits is set on return (rollout, joint steps and cache passes).
    teacherLoss: losses / (s.updateEpochs * s.minibatches),
    teacherTaskLoss: taskLosses / (s.updateEpochs * s.minibatches),
    batchSize: rows,
    studentOnly: [],
  };
  if (trainer.students.length === 0) return { ...metrics, costUnits: trainer.costUnits - cost0 };
  cache.push(torch.keep(rollout.obs.clone()));
  while (cache.length > s.cacheRollouts) cache.shift()!.dispose();
  for (let pass = 0; pass < trainer.config.n; pass++) {
    for (const obs of cache) {
      for (const mb of minibatches({ obs }, s.minibatches)) metrics.studentOnly.push(trainer.studentStep(mb));
    }
  }
  return { ...metrics, costUnits: trainer.costUnits - cost0 };
}

// Gymnasium's classic-control environments in TypeScript, and their vectorized form as CleanRL
// uses them: gym.make (TimeLimit of the registered max_episode_steps) + RecordEpisodeStatistics,
// in a SyncVectorEnv that resets an ended environment in the same step (gym 0.26's autoreset).
// Env i draws its reset states from its own generator seeded from seed + i; the dynamics match
// gymnasium's, the random streams do not (they are the project's Rng, not numpy's).
import * as torch from '@lot/torch';
import { Acrobot } from './acrobot.js';
import { CartPole } from './cartpole.js';
import { CLASSIC_ENVS, type ClassicEnv, type ClassicEnvId, isClassicEnvId, type UniformSource } from './env.js';

/** A new environment of `id`; an unknown id throws, naming the known ones. */
export function makeClassicEnv(id: string): ClassicEnv {
  if (!isClassicEnvId(id)) throw new Error(`unknown classic-control environment '${id}': known are ${CLASSIC_ENVS.join(', ')}`);
  return id === 'CartPole-v1' ? new CartPole() : new Acrobot();
}

/**
 * The project's Rng (torch.data), counting its draws: Rng keeps its state private, so a saved
 * position is (seed, draws) and restoring replays the draws (a few per episode).
 */
export class CountingRng implements UniformSource {
  private rng: torch.data.Rng;
  private count = 0;
  constructor(
    readonly seed: number,
    draws = 0,
  ) {
    this.rng = new torch.data.Rng(seed);
    for (let i = 0; i < draws; ++i) this.float();
  }
  get draws(): number {
    return this.count;
  }
  float(): number {
    this.count++;
    return this.rng.float();
  }
}

/** One environment's part of ClassicVectorEnvState. */
export interface ClassicEnvSlotState {
  /** ClassicEnv.getState(). */
  physics: number[];
  /** Steps of the running episode. */
  length: number;
  /** Undiscounted reward of the running episode. */
  return: number;
  /** Draws made by the environment's generator (seeded from seed + index). */
  rngDraws: number;
}

/** Everything ClassicVectorEnv needs to continue exactly; plain JSON. */
export interface ClassicVectorEnvState {
  id: ClassicEnvId;
  num: number;
  seed: number;
  envs: ClassicEnvSlotState[];
}

export interface ClassicVectorStep {
  /** [num·obsSize]; an environment that ended shows the first observation of its next episode. */
  obs: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  /** The time limit ended the episode (as gymnasium's TimeLimit, also when it terminated on that step). */
  truncated: Uint8Array;
  /** Episodes that ended in this step: raw return and length (RecordEpisodeStatistics). */
  finished: { env: number; return: number; length: number }[];
}

/** `num` copies of one classic-control environment, reset in the same step they end. */
export class ClassicVectorEnv {
  readonly id: ClassicEnvId;
  readonly obsSize: number;
  readonly obsShape: readonly number[];
  readonly actions: number;
  readonly maxEpisodeSteps: number;
  private envs: ClassicEnv[];
  private rngSeed: number;
  private rngs: CountingRng[];
  private readonly lengths: number[];
  private readonly returns: number[];
  private started = false;

  constructor(
    id: string,
    readonly numEnvs: number,
    seed: number,
  ) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new Error(`ClassicVectorEnv: numEnvs must be a positive integer, got ${numEnvs}`);
    if (!Number.isSafeInteger(seed)) throw new Error(`ClassicVectorEnv: seed must be an integer, got ${seed}`);
    this.envs = Array.from({ length: numEnvs }, () => makeClassicEnv(id));
    const first = this.envs[0]!;
    this.id = first.id;
    this.obsSize = first.obsSize;
    this.obsShape = [first.obsSize];
    this.actions = first.actions;
    this.maxEpisodeSteps = first.maxEpisodeSteps;
    this.rngSeed = seed;
    this.rngs = this.envs.map((_, i) => new CountingRng(torch.data.seedFor(seed + i)));
    this.lengths = this.envs.map(() => 0);
    this.returns = this.envs.map(() => 0);
  }

  /** Environment i's generator is seeded from seedFor(seed + i). */
  get seed(): number {
    return this.rngSeed;
  }

  /** Starts a new episode in every environment (the generators continue); the first observations. */
  reset(): Float32Array {
    const obs = new Float32Array(this.numEnvs * this.obsSize);
    this.envs.forEach((env, i) => {
      obs.set(env.reset(this.rngs[i]!), i * this.obsSize);
      this.lengths[i] = 0;
      this.returns[i] = 0;
    });
    this.started = true;
    return obs;
  }

  /** One step of every environment with actions[i] for environment i. */
  step(actions: Int32Array | readonly number[]): ClassicVectorStep {
    if (!this.started) throw new Error('ClassicVectorEnv: call reset() before step()');
    if (actions.length !== this.numEnvs) throw new Error(`ClassicVectorEnv: ${actions.length} actions for ${this.numEnvs} environments`);
    const n = this.numEnvs;
    const out: ClassicVectorStep = {
      obs: new Float32Array(n * this.obsSize),
      rewards: new Float32Array(n),
      terminated: new Uint8Array(n),
      truncated: new Uint8Array(n),
      finished: [],
    };
    for (let i = 0; i < n; ++i) {
      const env = this.envs[i]!;
      const r = env.step(actions[i]!);
      const length = ++this.lengths[i]!;
      const ret = (this.returns[i]! += r.reward);
      // gymnasium's TimeLimit: truncated once elapsed steps reach the limit, terminated or not.
      const truncated = length >= this.maxEpisodeSteps;
      out.rewards[i] = r.reward;
      out.terminated[i] = r.terminated ? 1 : 0;
      out.truncated[i] = truncated ? 1 : 0;
      let obs = r.obs;
      if (r.terminated || truncated) {
        out.finished.push({ env: i, return: ret, length });
        obs = env.reset(this.rngs[i]!);
        this.lengths[i] = 0;
        this.returns[i] = 0;
      }
      out.obs.set(obs, i * this.obsSize);
    }
    return out;
  }

  /** The state to continue from exactly (loadState); null-free plain numbers. */
  state(): ClassicVectorEnvState {
    if (!this.started) throw new Error('ClassicVectorEnv: no state before reset()');
    return {
      id: this.id,
      num: this.numEnvs,
      seed: this.rngSeed,
      envs: this.envs.map((env, i) => ({
        physics: env.getState(),
        length: this.lengths[i]!,
        return: this.returns[i]!,
        rngDraws: this.rngs[i]!.draws,
      })),
    };
  }

  /** Continues exactly from `s`, a state() of environments with the same id and count (its seed is taken over). */
  loadState(s: ClassicVectorEnvState): void {
    if (s.id !== this.id || s.num !== this.numEnvs || s.envs.length !== this.numEnvs || !Number.isSafeInteger(s.seed)) {
      throw new Error(`ClassicVectorEnv: a state of ${s.envs.length} x ${s.id} does not fit ${this.numEnvs} x ${this.id}`);
    }
    const count = (x: number) => Number.isSafeInteger(x) && x >= 0;
    s.envs.forEach((e, i) => {
      if (!count(e.length) || !Number.isFinite(e.return) || !count(e.rngDraws))
        throw new Error(`ClassicVectorEnv: bad state of environment ${i}`);
    });
    // Built aside first, so that a bad state leaves this one as it was.
    const envs = s.envs.map((e) => {
      const env = makeClassicEnv(this.id);
      env.setState(e.physics);
      return env;
    });
    this.envs = envs;
    this.rngSeed = s.seed;
    this.rngs = s.envs.map((e, i) => new CountingRng(torch.data.seedFor(s.seed + i), e.rngDraws));
    s.envs.forEach((e, i) => {
      this.lengths[i] = e.length;
      this.returns[i] = e.return;
    });
    this.started = true;
  }
}

// What one classic-control environment is (gymnasium's env.unwrapped, without time limit), and
// the environments there are. No libtorch: the CLI's flags read the list.
export const CLASSIC_ENVS = ['CartPole-v1', 'Acrobot-v1'] as const;
export type ClassicEnvId = (typeof CLASSIC_ENVS)[number];

/** The return at which gymnasium calls each environment solved (its registered reward_threshold). */
export const REWARD_THRESHOLD: Record<ClassicEnvId, number> = { 'CartPole-v1': 475, 'Acrobot-v1': -100 };

/** Uniform floats in [0, 1). */
export interface UniformSource {
  float(): number;
}

export interface ClassicStep {
  /** The float32 observation after the step. */
  obs: Float32Array;
  reward: number;
  terminated: boolean;
}

/** One classic-control environment, without time limit: gymnasium's env.unwrapped. */
export interface ClassicEnv {
  readonly id: ClassicEnvId;
  readonly obsSize: number;
  /** Number of discrete actions 0..actions-1. */
  readonly actions: number;
  /** The TimeLimit that gymnasium registers the environment with. */
  readonly maxEpisodeSteps: number;
  /** Draws a new initial state; returns its observation. */
  reset(rng: UniformSource): Float32Array;
  step(action: number): ClassicStep;
  /** The observation of the current state. */
  observe(): Float32Array;
  /** The physical state (gymnasium's env.unwrapped.state), float64. */
  getState(): number[];
  setState(state: readonly number[]): void;
}

export const isClassicEnvId = (id: string): id is ClassicEnvId => (CLASSIC_ENVS as readonly string[]).includes(id);

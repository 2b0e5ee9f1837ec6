// CartPole-v1 as gymnasium 1.3.0's gymnasium/envs/classic_control/cartpole.py (sutton_barto_reward
// False, euler integrator). The state is four float64 numbers computed in the same order of
// operations as gymnasium's numpy scalars; the observation is that state cast to float32.
import type { ClassicEnv, ClassicStep, UniformSource } from './env.js';

// cartpole.py's constants.
const GRAVITY = 9.8;
const MASS_CART = 1.0;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_POLE + MASS_CART;
/** Half the pole's length. */
const LENGTH = 0.5;
const POLE_MASS_LENGTH = MASS_POLE * LENGTH;
const FORCE_MAG = 10.0;
/** Seconds between state updates. */
const TAU = 0.02;
const THETA_THRESHOLD_RADIANS = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;
/** reset() draws every state value uniformly from [-RESET_BOUND, RESET_BOUND). */
const RESET_BOUND = 0.05;

export class CartPole implements ClassicEnv {
  readonly id = 'CartPole-v1';
  readonly obsSize = 4;
  /** 0 pushes the cart left, 1 right. */
  readonly actions = 2;
  /** gymnasium/envs/__init__.py registers CartPole-v1 with max_episode_steps=500. */
  readonly maxEpisodeSteps = 500;
  // [x, x_dot, theta, theta_dot]; null before the first reset.
  private state: Float64Array | null = null;

  reset(rng: UniformSource): Float32Array {
    const s = new Float64Array(4);
    for (let i = 0; i < 4; ++i) s[i] = -RESET_BOUND + 2 * RESET_BOUND * rng.float();
    this.state = s;
    return this.observe();
  }

  step(action: number): ClassicStep {
    const s = this.current();
    if (action !== 0 && action !== 1) throw new Error(`CartPole-v1: action ${action} is not 0 or 1`);
    const x = s[0]!;
    const xDot = s[1]!;
    const theta = s[2]!;
    const thetaDot = s[3]!;
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const cosTheta = Math.cos(theta);
    const sinTheta = Math.sin(theta);
    // Same expressions, same association as cartpole.py, so that the float64 roundings agree.
    const temp = (force + POLE_MASS_LENGTH * (thetaDot * thetaDot) * sinTheta) / TOTAL_MASS;
    const thetaAcc = (GRAVITY * sinTheta - cosTheta * temp) / (LENGTH * (4.0 / 3.0 - (MASS_POLE * (cosTheta * cosTheta)) / TOTAL_MASS));
    const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cosTheta) / TOTAL_MASS;
    s[0] = x + TAU * xDot;
    s[1] = xDot + TAU * xAcc;
    s[2] = theta + TAU * thetaDot;
    s[3] = thetaDot + TAU * thetaAcc;
    const terminated = s[0]! < -X_THRESHOLD || s[0]! > X_THRESHOLD || s[2]! < -THETA_THRESHOLD_RADIANS || s[2]! > THETA_THRESHOLD_RADIANS;
    // Reward 1 on every step, the terminating one included (gymnasium 1.x's default).
    return { obs: this.observe(), reward: 1, terminated };
  }

  getState(): number[] {
    return Array.from(this.current());
  }

  setState(state: readonly number[]): void {
    if (state.length !== 4 || !state.every(Number.isFinite))
      throw new Error(`CartPole-v1: a state is 4 finite numbers, got [${state.join(', ')}]`);
    this.state = Float64Array.from(state);
  }

  observe(): Float32Array {
    return Float32Array.from(this.current());
  }

  private current(): Float64Array {
    if (this.state === null) throw new Error('CartPole-v1: call reset() before step()');
    return this.state;
  }
}

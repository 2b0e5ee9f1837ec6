// Acrobot-v1 as gymnasium 1.3.0's gymnasium/envs/classic_control/acrobot.py: book_or_nips "book",
// torque_noise_max 0, one step of its rk4() over [0, dt]. The state [theta1, theta2, dtheta1,
// dtheta2] is float64 with the same order of operations as gymnasium's numpy scalars. V8's
// Math.sin/cos (fdlibm) differ from glibc's (numpy's) in the last bit for a few % of arguments;
// over 500 steps that leaves the observations within a float32 ulp of gymnasium's.
import type { ClassicEnv, ClassicStep, UniformSource } from './env.js';

// acrobot.py's constants.
const DT = 0.2;
const LINK_LENGTH_1 = 1.0;
const LINK_MASS_1 = 1.0;
const LINK_MASS_2 = 1.0;
const LINK_COM_POS_1 = 0.5;
const LINK_COM_POS_2 = 0.5;
/** Moment of inertia of both links. */
const LINK_MOI = 1.0;
const GRAVITY = 9.8;
const MAX_VEL_1 = 4 * Math.PI;
const MAX_VEL_2 = 9 * Math.PI;
/** Torque of actions 0, 1, 2. */
const AVAIL_TORQUE = [-1.0, 0.0, 1.0] as const;
/** reset() draws every state value uniformly from [-RESET_BOUND, RESET_BOUND). */
const RESET_BOUND = 0.1;

/** acrobot.py's _dsdt without the torque's (zero) derivative: ds/dt of state `s` under torque `a`, into `out`. */
function dsdt(s: Float64Array, a: number, out: Float64Array): void {
  const m1 = LINK_MASS_1;
  const m2 = LINK_MASS_2;
  const l1 = LINK_LENGTH_1;
  const lc1 = LINK_COM_POS_1;
  const lc2 = LINK_COM_POS_2;
  const I1 = LINK_MOI;
  const I2 = LINK_MOI;
  const g = GRAVITY;
  const theta1 = s[0]!;
  const theta2 = s[1]!;
  const dtheta1 = s[2]!;
  const dtheta2 = s[3]!;
  const cos2 = Math.cos(theta2);
  const sin2 = Math.sin(theta2);
  // acrobot.py's expressions term by term (same association), so that the float64 roundings agree.
  const d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * cos2) + I1 + I2;
  const d2 = m2 * (lc2 ** 2 + l1 * lc2 * cos2) + I2;
  const phi2 = m2 * lc2 * g * Math.cos(theta1 + theta2 - Math.PI / 2.0);
  const phi1 =
    -m2 * l1 * lc2 * dtheta2 ** 2 * sin2 -
    2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2 +
    (m1 * lc1 + m2 * l1) * g * Math.cos(theta1 - Math.PI / 2) +
    phi2;
  // "book" (the java implementation's) rather than "nips".
  const ddtheta2 = (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 ** 2 * sin2 - phi2) / (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1);
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  out[0] = dtheta1;
  out[1] = dtheta2;
  out[2] = ddtheta1;
  out[3] = ddtheta2;
}

/** acrobot.py's wrap(): x moved by whole turns into [m, M]. */
function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

/** acrobot.py's bound(): min(max(x, m), M). */
const bound = (x: number, m: number, M: number): number => Math.min(Math.max(x, m), M);

export class Acrobot implements ClassicEnv {
  readonly id = 'Acrobot-v1';
  readonly obsSize = 6;
  /** Torque -1, 0, +1 on the joint between the links. */
  readonly actions = 3;
  /** gymnasium/envs/__init__.py registers Acrobot-v1 with max_episode_steps=500. */
  readonly maxEpisodeSteps = 500;
  private state: Float64Array | null = null;
  // rk4's stages, reused.
  private readonly k1 = new Float64Array(4);
  private readonly k2 = new Float64Array(4);
  private readonly k3 = new Float64Array(4);
  private readonly k4 = new Float64Array(4);
  private readonly stage = new Float64Array(4);

  reset(rng: UniformSource): Float32Array {
    const s = new Float64Array(4);
    // acrobot.py casts the drawn state to float32 (the steps then compute in float64).
    for (let i = 0; i < 4; ++i) s[i] = Math.fround(-RESET_BOUND + 2 * RESET_BOUND * rng.float());
    this.state = s;
    return this.observe();
  }

  step(action: number): ClassicStep {
    const s = this.current();
    const torque = AVAIL_TORQUE[action as 0 | 1 | 2];
    if (!Number.isInteger(action) || torque === undefined) throw new Error(`Acrobot-v1: action ${action} is not 0, 1 or 2`);
    // rk4(derivs, y0, [0, dt]): one classic Runge-Kutta step, its arithmetic as in acrobot.py.
    const { k1, k2, k3, k4, stage } = this;
    const dt = DT - 0;
    const dt2 = dt / 2.0;
    dsdt(s, torque, k1);
    for (let i = 0; i < 4; ++i) stage[i] = s[i]! + dt2 * k1[i]!;
    dsdt(stage, torque, k2);
    for (let i = 0; i < 4; ++i) stage[i] = s[i]! + dt2 * k2[i]!;
    dsdt(stage, torque, k3);
    for (let i = 0; i < 4; ++i) stage[i] = s[i]! + dt * k3[i]!;
    dsdt(stage, torque, k4);
    for (let i = 0; i < 4; ++i) s[i] = s[i]! + (dt / 6.0) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);
    s[0] = wrap(s[0]!, -Math.PI, Math.PI);
    s[1] = wrap(s[1]!, -Math.PI, Math.PI);
    s[2] = bound(s[2]!, -MAX_VEL_1, MAX_VEL_1);
    s[3] = bound(s[3]!, -MAX_VEL_2, MAX_VEL_2);
    // The free end above the bar: the height of one link above the pivot.
    const terminated = -Math.cos(s[0]!) - Math.cos(s[1]! + s[0]!) > 1.0;
    return { obs: this.observe(), reward: terminated ? 0 : -1, terminated };
  }

  getState(): number[] {
    return Array.from(this.current());
  }

  setState(state: readonly number[]): void {
    if (state.length !== 4 || !state.every(Number.isFinite))
      throw new Error(`Acrobot-v1: a state is 4 finite numbers, got [${state.join(', ')}]`);
    this.state = Float64Array.from(state);
  }

  /** [cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2] as float32. */
  observe(): Float32Array {
    const s = this.current();
    const obs = new Float32Array(6);
    obs[0] = Math.cos(s[0]!);
    obs[1] = Math.sin(s[0]!);
    obs[2] = Math.cos(s[1]!);
    obs[3] = Math.sin(s[1]!);
    obs[4] = s[2]!;
    obs[5] = s[3]!;
    return obs;
  }

  private current(): Float64Array {
    if (this.state === null) throw new Error('Acrobot-v1: call reset() before step()');
    return this.state;
  }
}

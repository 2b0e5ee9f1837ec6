// The classic-control environments against gymnasium 1.3.0: episodes recorded from the real
// gymnasium by scripts/rl/record_classic_control.py (test/fixtures/classic-control/<env>.json),
// replayed from their initial states, step by step; then the vector env's reset distribution,
// same-step auto-reset and episode statistics, its state round trip, and its errors. No Python.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@lot/torch';
import type { VectorEnv } from '../src/tasks/rl/ppo.js';
import { CLASSIC_ENVS, type ClassicEnvId } from '../src/tasks/rl/envs/env.js';
import {
  type ClassicVectorEnvState,
  type ClassicVectorStep,
  ClassicVectorEnv,
  CountingRng,
  makeClassicEnv,
} from '../src/tasks/rl/envs/vector.js';

const here = dirname(fileURLToPath(import.meta.url));
/** test/fixtures/classic-control of this package, found upwards from the compiled test. */
const fixtures = ((): string => {
  for (let dir = here; dir !== dirname(dir); dir = dirname(dir)) {
    const p = join(dir, 'test', 'fixtures', 'classic-control');
    if (existsSync(p)) return p;
  }
  throw new Error(`test/fixtures/classic-control not found above ${here}`);
})();

interface Episode {
  policy: string;
  seed: number;
  initial_state: number[];
  reset_obs: number[];
  actions: number[];
  obs: number[][];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
}

interface Fixture {
  env: ClassicEnvId;
  gymnasium: string;
  max_episode_steps: number;
  episodes: Episode[];
}

const loadFixture = (id: ClassicEnvId): Fixture => JSON.parse(readFileSync(join(fixtures, `${id}.json`), 'utf8')) as Fixture;

/** float32 observations agree to 1e-6, relative above 1 and absolute below. */
function assertObsClose(actual: ArrayLike<number>, expected: readonly number[], where: string): void {
  assert.equal(actual.length, expected.length, `${where}: observation size`);
  for (let i = 0; i < expected.length; ++i) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= 1e-6 * Math.max(1, Math.abs(e)), `${where}[${i}]: ${a} vs gymnasium's ${e}`);
  }
}

/** A fixed action sequence from the project's Rng. */
const randomActions = (n: number, actions: number, seed: number): Int32Array => {
  const rng = new torch.data.Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(actions));
};

describe('replays of gymnasium episodes', () => {
  for (const id of CLASSIC_ENVS) {
    const fixture = loadFixture(id);

    test(`${id}: the fixture covers termination and truncation`, () => {
      assert.equal(fixture.gymnasium, '1.3.0');
      assert.equal(fixture.max_episode_steps, makeClassicEnv(id).maxEpisodeSteps);
      assert.ok(fixture.episodes.some((e) => e.terminated.at(-1)));
      assert.ok(fixture.episodes.some((e) => e.truncated.at(-1)));
    });

    fixture.episodes.forEach((ep, k) => {
      test(`${id} episode ${k} (${ep.policy}, ${ep.actions.length} steps): observations, rewards, terminated, truncated`, (t) => {
        const env = makeClassicEnv(id);
        env.setState(ep.initial_state);
        assert.deepEqual(env.getState(), ep.initial_state);
        assertObsClose(env.observe(), ep.reset_obs, 'reset observation');
        let exact = 0;
        let values = 0;
        ep.actions.forEach((action, step) => {
          const r = env.step(action);
          const where = `step ${step}`;
          assertObsClose(r.obs, ep.obs[step]!, `${where} observation`);
          assert.equal(r.reward, ep.rewards[step], `${where} reward`);
          assert.equal(r.terminated, ep.terminated[step], `${where} terminated`);
          assert.equal(step + 1 >= env.maxEpisodeSteps, ep.truncated[step], `${where} truncated`);
          r.obs.forEach((v, i) => {
            values++;
            if (v === ep.obs[step]![i]) exact++;
          });
        });
        t.diagnostic(`${exact} of ${values} observation values bit-identical to gymnasium's`);
      });

      test(`${id} episode ${k} through ClassicVectorEnv: time limit, same-step reset, episode statistics`, () => {
        const seed = 11;
        const envs = new ClassicVectorEnv(id, 1, seed);
        envs.reset();
        envs.loadState({ id, num: 1, seed, envs: [{ physics: ep.initial_state, length: 0, return: 0, rngDraws: 0 }] });
        const n = ep.actions.length;
        let last: ClassicVectorStep | null = null;
        for (let step = 0; step < n; ++step) {
          last = envs.step([ep.actions[step]!]);
          assert.equal(last.rewards[0], ep.rewards[step]);
          assert.equal(last.terminated[0], ep.terminated[step] ? 1 : 0);
          assert.equal(last.truncated[0], ep.truncated[step] ? 1 : 0);
          if (step < n - 1) {
            assertObsClose(last.obs, ep.obs[step]!, `step ${step} observation`);
            assert.deepEqual(last.finished, []);
          }
        }
        const total = ep.rewards.reduce((a, b) => a + b, 0);
        assert.deepEqual(last?.finished, [{ env: 0, return: total, length: n }]);
        // The returned observation is the next episode's first: the generator's first draws.
        assert.deepEqual(last?.obs, new ClassicVectorEnv(id, 1, seed).reset());
      });
    });
  }
});

describe('ClassicVectorEnv', () => {
  test('reset states are uniform in gymnasium ranges, different per environment, the same per seed', () => {
    for (const [id, bound] of [
      ['CartPole-v1', 0.05],
      ['Acrobot-v1', 0.1],
    ] as const) {
      const envs = new ClassicVectorEnv(id, 64, 3);
      const obs = envs.reset();
      assert.equal(obs.length, 64 * envs.obsSize);
      const states = envs.state().envs.map((e) => e.physics);
      const values = states.flat();
      // Acrobot keeps its reset state in float32, which may round onto the bound.
      assert.ok(values.every((v) => v >= -bound && v <= Math.fround(bound)));
      if (id === 'CartPole-v1') assert.ok(values.every((v) => v < bound));
      assert.ok(Math.min(...values) < -0.9 * bound && Math.max(...values) > 0.9 * bound);
      assert.ok(Math.abs(values.reduce((a, b) => a + b, 0) / values.length) < 0.15 * bound);
      assert.equal(new Set(states.map((s) => s.join())).size, 64);
      assert.deepEqual(new ClassicVectorEnv(id, 64, 3).reset(), obs);
      assert.notDeepEqual(new ClassicVectorEnv(id, 64, 4).reset(), obs);
      // Env i is seeded from seed + i: env 1 of seed 3 is env 0 of seed 4.
      assert.deepEqual(new ClassicVectorEnv(id, 1, 4).reset(), obs.slice(envs.obsSize, 2 * envs.obsSize));
    }
  });

  test('an ended episode restarts in the same step and reports its raw return and length', () => {
    const cases: { id: ClassicEnvId; policy: (obs: Float32Array, e: number, t: number) => number; steps: number }[] = [
      // Random pushes: CartPole episodes of some tens of steps.
      { id: 'CartPole-v1', policy: (_obs, e, t) => randomActions(1, 2, t * 8 + e)[0]!, steps: 600 },
      // Energy pumping reaches Acrobot's terminal height (reward 0 on that step); env 3 idles into the time limit.
      { id: 'Acrobot-v1', policy: (obs, e) => (e === 3 ? 1 : obs[e * 6 + 5]! > 0 ? 2 : 0), steps: 1100 },
    ];
    for (const { id, policy, steps } of cases) {
      const num = 4;
      const envs = new ClassicVectorEnv(id, num, 7);
      let obs = envs.reset();
      const lengths = new Array<number>(num).fill(0);
      const returns = new Array<number>(num).fill(0);
      let terminations = 0;
      let truncations = 0;
      for (let t = 0; t < steps; ++t) {
        const actions = Int32Array.from({ length: num }, (_, e) => policy(obs, e, t));
        const r = envs.step(actions);
        const expected: { env: number; return: number; length: number }[] = [];
        for (let e = 0; e < num; ++e) {
          lengths[e]!++;
          returns[e]! += r.rewards[e]!;
          const o = Array.from(r.obs.subarray(e * envs.obsSize, (e + 1) * envs.obsSize));
          if (r.terminated[e] || r.truncated[e]) {
            expected.push({ env: e, return: returns[e]!, length: lengths[e]! });
            terminations += r.terminated[e]!;
            truncations += r.truncated[e]!;
            if (id === 'CartPole-v1') {
              assert.equal(returns[e], lengths[e]);
              // The new episode's first observation, not the terminal one.
              assert.ok(o.every((v) => Math.abs(v) <= 0.05));
            } else {
              assert.equal(returns[e], -(lengths[e]! - r.terminated[e]!));
              assert.ok(Math.abs(o[4]!) <= 0.1 && Math.abs(o[5]!) <= 0.1 && o[0]! > 0.99 && o[2]! > 0.99);
            }
            assert.equal(r.truncated[e], lengths[e] === 500 ? 1 : 0);
            lengths[e] = 0;
            returns[e] = 0;
          } else {
            assert.ok(lengths[e]! < 500);
          }
        }
        assert.deepEqual(r.finished, expected);
        obs = r.obs;
      }
      assert.ok(terminations >= 4, `${id}: ${terminations} terminations`);
      if (id === 'Acrobot-v1') assert.ok(truncations >= 2, `${id}: ${truncations} truncations`);
    }
  });

  test('state() and loadState() continue bit-identically, through JSON', () => {
    for (const id of CLASSIC_ENVS) {
      const num = 5;
      const actionsOf = (t: number) => randomActions(num, id === 'CartPole-v1' ? 2 : 3, 1000 + t);
      const envs = new ClassicVectorEnv(id, num, 21);
      envs.reset();
      for (let t = 0; t < 137; ++t) envs.step(actionsOf(t));
      const saved: ClassicVectorEnvState = JSON.parse(JSON.stringify(envs.state()));
      const run = (v: ClassicVectorEnv): ClassicVectorStep[] => Array.from({ length: 700 }, (_, t) => v.step(actionsOf(137 + t)));
      const continued = run(envs);
      const restored = new ClassicVectorEnv(id, num, 99);
      restored.loadState(saved);
      assert.equal(restored.seed, 21);
      assert.deepEqual(restored.state(), saved);
      const replayed = run(restored);
      assert.deepEqual(replayed, continued);
      assert.ok(
        continued.some((r) => r.finished.length > 0),
        'episodes end after the restore point',
      );
      assert.deepEqual(restored.state(), envs.state());
    }
  });

  test('CountingRng restores its position by its draws', () => {
    const a = new CountingRng(5);
    for (let i = 0; i < 13; ++i) a.float();
    const b = new CountingRng(5, a.draws);
    assert.equal(b.draws, 13);
    assert.deepEqual(
      Array.from({ length: 5 }, () => b.float()),
      Array.from({ length: 5 }, () => a.float()),
    );
  });

  test('fits the VectorEnv that PPO acts in', () => {
    const envs: VectorEnv = new ClassicVectorEnv('Acrobot-v1', 2, 0);
    assert.deepEqual(envs.obsShape, [6]);
    assert.equal(envs.numEnvs, 2);
    assert.equal(envs.actions, 3);
  });

  test('mistakes give clear errors', () => {
    assert.throws(
      () => new ClassicVectorEnv('MountainCar-v0', 2, 0),
      /unknown classic-control environment 'MountainCar-v0': known are CartPole-v1, Acrobot-v1/,
    );
    assert.throws(() => makeClassicEnv('cartpole'), /known are CartPole-v1, Acrobot-v1/);
    assert.throws(() => new ClassicVectorEnv('CartPole-v1', 0, 0), /numEnvs must be a positive integer/);
    const envs = new ClassicVectorEnv('CartPole-v1', 2, 0);
    assert.throws(() => envs.step([0, 1]), /call reset\(\) before step\(\)/);
    envs.reset();
    assert.throws(() => envs.step([0]), /1 actions for 2 environments/);
    assert.throws(() => envs.step([0, 2]), /CartPole-v1: action 2 is not 0 or 1/);
    assert.throws(() => makeClassicEnv('Acrobot-v1').step(0), /Acrobot-v1: call reset\(\) before step\(\)/);
    const acrobot = makeClassicEnv('Acrobot-v1');
    acrobot.setState([0, 0, 0, 0]);
    assert.throws(() => acrobot.step(1.5), /Acrobot-v1: action 1.5 is not 0, 1 or 2/);
    assert.throws(() => acrobot.step(-1), /Acrobot-v1: action -1 is not 0, 1 or 2/);
    const before = envs.state();
    const other = new ClassicVectorEnv('Acrobot-v1', 2, 0);
    other.reset();
    assert.throws(() => envs.loadState(other.state()), /a state of 2 x Acrobot-v1 does not fit 2 x CartPole-v1/);
    const bad = structuredClone(before);
    bad.envs[1]!.physics = [0, 0, 0];
    assert.throws(() => envs.loadState(bad), /CartPole-v1: a state is 4 finite numbers/);
    assert.deepEqual(envs.state(), before, 'a failed loadState changes nothing');
  });
});

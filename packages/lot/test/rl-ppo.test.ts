// PPO's pieces against hand-computed values: GAE over episode ends, the clipped losses, and the
// RL cost model of equal compute.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@lot/torch';
import { computeGae, ppoLoss } from '../src/tasks/rl/ppo.js';
import { ppoCostRatio } from '../src/tasks/rl/settings.js';
import { useOneThread } from './lot-helpers.js';

useOneThread();

const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-5) => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) < tol, `[${i}]: ${actual[i]} vs ${expected[i]}`);
};

test('GAE: two environments, time-major, an episode end inside the rollout and one after it', () => {
  // Env 0: rewards 1, 0, 2; values 0; the step after the rollout ends the episode (next done).
  // Env 1: rewards 1, 1, 1; values .5, .4, .3; obs[2] starts a new episode (dones[2] = 1); next value .2.
  const rewards = Float32Array.from([1, 1, 0, 1, 2, 1]);
  const values = Float32Array.from([0, 0.5, 0, 0.4, 0, 0.3]);
  const dones = Float32Array.from([0, 0, 0, 0, 0, 1]);
  const { advantages, returns } = computeGae(rewards, values, dones, Float32Array.from([10, 0.2]), Float32Array.from([1, 0]), 2, 0.9, 0.8);
  const gl = 0.9 * 0.8;
  // Env 0: t2 = 2 (no bootstrap: next done); t1 = 0 + γλ·2; t0 = 1 + γλ·t1.
  const e0 = [1 + gl * (gl * 2), gl * 2, 2];
  // Env 1: t2 = 1 + γ·.2 − .3; t1 = 1 − .4 (its next observation starts a new episode); t0 = 1 + γ·.4 − .5 + γλ·t1.
  const e1 = [1 + 0.9 * 0.4 - 0.5 + gl * 0.6, 0.6, 1 + 0.9 * 0.2 - 0.3];
  close(advantages, [e0[0]!, e1[0]!, e0[1]!, e1[1]!, e0[2]!, e1[2]!]);
  close(returns, [e0[0]!, e1[0]! + 0.5, e0[1]!, e1[1]! + 0.4, e0[2]!, e1[2]! + 0.3]);
});

test('PPO loss: clipped surrogate with per-minibatch advantage normalization, clipped value loss, entropy bonus', () => {
  const loss = torch.tidy(() =>
    ppoLoss(
      {
        logits: torch.tensor([
          [0, 0],
          [Math.log(3), 0],
        ]),
        value: torch.tensor([1, 0]),
      },
      {
        obs: torch.zeros([2, 1]),
        actions: torch.tensor([0, 1]).to('int64'),
        logprobs: torch.tensor([Math.log(0.4), Math.log(0.2)]),
        advantages: torch.tensor([1, -1]),
        returns: torch.tensor([2, 0]),
        values: torch.tensor([0.5, 0.1]),
      },
      { clipCoef: 0.2, entCoef: 0.01, vfCoef: 0.5 },
    ).item(),
  );
  // Both ratios are 1.25 (0.5/0.4, 0.25/0.2), clipped to 1.2; normalized advantages ±1/√2.
  const a = 1 / Math.SQRT2;
  const pg = (Math.max(-a * 1.25, -a * 1.2) + Math.max(a * 1.25, a * 1.2)) / 2;
  const entropy = (Math.log(2) - (0.75 * Math.log(0.75) + 0.25 * Math.log(0.25))) / 2;
  // Values: unclipped (1−2)² and 0; clipped (0.5+0.2−2)² = 1.69 and (0.1−0.1)² = 0.
  const v = 0.5 * ((Math.max(1, 1.69) + 0) / 2);
  assert.ok(Math.abs(loss - (pg - 0.01 * entropy + 0.5 * v)) < 1e-5, `loss ${loss}`);
});

test('equal compute in RL: LoT costs about 17× teacher-only per update at N = 5 with a full cache', () => {
  const s = { minibatches: 4, updateEpochs: 4, cacheRollouts: 10 };
  // Teacher-only: rollout 4F + 16 minibatches × 3F = 52F; LoT adds 16 × 3F and 5 × 10 × 4 × (1F + 3F).
  assert.equal(ppoCostRatio(s, 5, [1]), (52 + 48 + 800) / 52);
  assert.equal(ppoCostRatio(s, 5, []), 1);
});

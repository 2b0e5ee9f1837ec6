// The Atari environments through the real Arcade Learning Environment: the project's Python venv
// (made on first use by ensureAtariPython: about a minute, once), the worker's observations,
// clipped rewards, life-ends and whole-game returns, seeding, and the worker's lifetime (close,
// a killed worker, an unknown game). Where Python 3 or an index with ale-py is missing, the tests
// that need them skip, saying why.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { AtariVectorEnv, isAtariEnvId } from '../src/tasks/rl/atari/atari-env.js';
import { AtariPythonError, ensureAtariPython } from '../src/tasks/rl/atari/python-env.js';

const GAME = 'BreakoutNoFrameskip-v4';
const FRAME = 84 * 84;
const OBS = 4 * FRAME;

/** Why the Python tests skip, or false when the venv is ready. */
const skip: string | false = await ensureAtariPython().then(
  () => false,
  (e: unknown) => {
    if (e instanceof AtariPythonError) return `no Python for the Atari emulator here: ${e.message}`;
    throw e;
  },
);

/** Whether env `e`'s four stacked frames in `obs` are all the same (a first observation: the stack is padded with it). */
const stackIsOneFrame = (obs: Uint8Array, e: number): boolean => {
  const f0 = obs.subarray(e * OBS, e * OBS + FRAME);
  for (let k = 1; k < 4; ++k) {
    const fk = obs.subarray(e * OBS + k * FRAME, e * OBS + (k + 1) * FRAME);
    if (!fk.every((x, i) => x === f0[i])) return false;
  }
  return true;
};

/** Whether process `pid` is gone (reaped), waiting up to `ms` with the event loop free to reap it. */
async function gone(pid: number, ms = 5000): Promise<boolean> {
  for (let waited = 0; waited <= ms; waited += 50) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await delay(50);
  }
  return false;
}

/** A deterministic stream of actions in 0..n-1. */
function actionStream(seed: number, n: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 16) % n;
  };
}

describe('Atari ids', () => {
  test('isAtariEnvId takes <Game>NoFrameskip-v4 only', () => {
    assert.ok(isAtariEnvId('BreakoutNoFrameskip-v4'));
    assert.ok(isAtariEnvId('BeamRiderNoFrameskip-v4'));
    assert.ok(!isAtariEnvId('CartPole-v1'));
    assert.ok(!isAtariEnvId('ALE/Breakout-v5'));
    assert.ok(!isAtariEnvId('Breakout-v4'));
  });

  test('an id of another form is refused before any worker starts, saying how the ids look', () => {
    assert.throws(() => new AtariVectorEnv('Breakout-v5', 2, 1), /unknown Atari environment 'Breakout-v5'.*<Game>NoFrameskip-v4/);
  });

  test('an unknown game gives an error listing the games', { skip }, () => {
    assert.throws(
      () => new AtariVectorEnv('NotAGameNoFrameskip-v4', 1, 1),
      /unknown Atari game 'NotAGameNoFrameskip-v4'.*<Game>NoFrameskip-v4.*Breakout/,
    );
  });
});

describe('AtariVectorEnv on Breakout', { skip }, () => {
  test('reset, random steps, life ends and whole games, then close', async () => {
    const env = new AtariVectorEnv(GAME, 2, 1);
    const pid = env.pid;
    try {
      assert.deepEqual([...env.obsShape], [4, 84, 84]);
      assert.equal(env.actions, 4);
      assert.deepEqual(env.actionMeanings, ['NOOP', 'FIRE', 'RIGHT', 'LEFT']);

      const first = env.reset();
      assert.ok(first instanceof Uint8Array);
      assert.equal(first.length, 2 * OBS);
      for (let e = 0; e < 2; ++e) {
        assert.ok(
          first.subarray(e * OBS, (e + 1) * OBS).some((x) => x > 0),
          `env ${e}: all pixels black`,
        );
        assert.ok(stackIsOneFrame(first, e), `env ${e}: the reset stack repeats the first frame`);
      }

      // Random play until each env has ended a whole game (Breakout: a few hundred steps each).
      const next = actionStream(7, env.actions);
      const actions = new Int32Array(2);
      const clipped = [0, 0];
      const lifeEnds = [0, 0];
      const steps = [0, 0];
      const games: { env: number; return: number; length: number; clipped: number; lifeEnds: number; steps: number }[] = [];
      for (let t = 0; t < 5000 && new Set(games.map((g) => g.env)).size < 2; ++t) {
        actions[0] = next();
        actions[1] = next();
        const r = env.step(actions);
        assert.ok(r.obs instanceof Uint8Array);
        assert.equal(r.obs.length, 2 * OBS);
        assert.equal(r.rewards.length, 2);
        assert.equal(r.terminated.length, 2);
        assert.equal(r.truncated.length, 2);
        for (let e = 0; e < 2; ++e) {
          assert.ok([-1, 0, 1].includes(r.rewards[e]!), `reward ${r.rewards[e]} is not clipped`);
          clipped[e]! += r.rewards[e]!;
          steps[e]! += 1;
          if (r.terminated[e]) {
            lifeEnds[e]! += 1;
            // Same-step reset: the observation is the next episode's first, a stack of one frame.
            assert.ok(stackIsOneFrame(r.obs, e), `env ${e}: no fresh observation after its episode ended`);
          }
        }
        for (const f of r.finished) {
          assert.ok(r.terminated[f.env] || r.truncated[f.env], 'a finished game ends its episode');
          games.push({ ...f, clipped: clipped[f.env]!, lifeEnds: lifeEnds[f.env]!, steps: steps[f.env]! });
          clipped[f.env] = lifeEnds[f.env] = steps[f.env] = 0;
        }
      }
      assert.ok(new Set(games.map((g) => g.env)).size === 2, `both envs end a game within 5000 steps (${games.length} games)`);
      for (const g of games) {
        // Breakout scores 1, 4 or 7 per brick: the raw return is at least the clipped sum.
        assert.ok(Number.isInteger(g.return) && g.return >= g.clipped && g.clipped >= 0, `raw ${g.return} vs clipped ${g.clipped}`);
        // Each of the 5 lives is a training episode; the game ends with the last.
        assert.equal(g.lifeEnds, 5, `env ${g.env}: ${g.lifeEnds} episodes in one game`);
        // The reported length counts emulator frames: 4 per agent step (fewer on the last), plus reset no-ops and FIREs.
        assert.ok(g.length >= 4 * (g.steps - 1) + 1, `length ${g.length} frames for ${g.steps} agent steps`);
      }
    } finally {
      env.close();
    }
    env.close(); // idempotent
    assert.ok(await gone(pid), `worker ${pid} still there after close()`);
    assert.throws(() => env.step(new Int32Array(2)), /closed/);
  });

  test('env i is seeded seed + i: the same game as a one-env worker with seed + i', () => {
    const pair = new AtariVectorEnv(GAME, 2, 7);
    const single = new AtariVectorEnv(GAME, 1, 8);
    try {
      const a = pair.reset();
      const b = single.reset();
      assert.deepEqual(a.subarray(OBS), b);
      const next = actionStream(3, 4);
      for (let t = 0; t < 60; ++t) {
        const act = next();
        const ra = pair.step(Int32Array.of(0, act));
        const rb = single.step(Int32Array.of(act));
        assert.deepEqual(ra.obs.subarray(OBS), rb.obs, `step ${t}`);
        assert.equal(ra.rewards[1], rb.rewards[0]);
        assert.equal(ra.terminated[1], rb.terminated[0]);
      }
    } finally {
      pair.close();
      single.close();
    }
  });

  test('a killed worker gives a clear error on the next step', async () => {
    const env = new AtariVectorEnv(GAME, 2, 3);
    try {
      env.reset();
      env.step(Int32Array.of(1, 1));
      process.kill(env.pid, 'SIGKILL');
      assert.throws(() => env.step(Int32Array.of(0, 0)), /^Error: the Atari worker for BreakoutNoFrameskip-v4 was killed by SIGKILL/);
      // The failure sticks.
      assert.throws(() => env.step(Int32Array.of(0, 0)), /the Atari worker for BreakoutNoFrameskip-v4 was killed by SIGKILL/);
    } finally {
      env.close();
    }
    assert.ok(await gone(env.pid));
  });

  test('actions are checked', () => {
    const env = new AtariVectorEnv(GAME, 2, 1);
    try {
      env.reset();
      assert.throws(() => env.step(Int32Array.of(0)), /1 actions for 2 environments/);
      assert.throws(() => env.step(Int32Array.of(0, 4)), /action 4 outside 0\.\.3/);
      env.step(Int32Array.of(0, 3));
    } finally {
      env.close();
    }
  });
});

describe('lot train rl on an Atari game', () => {
  test('the Nature CNN teacher equals teacher-only after the first update; a resumed run restarts its episodes and completes', {
    skip,
  }, async () => {
    const torch = await import('@lot/torch');
    const { parseArgs } = await import('../src/cli/options.js');
    const { trainSpec } = await import('../src/cli/specs.js');
    const { resolveTrainRuns } = await import('../src/cli/train.js');
    const { RunFolder, trainRun } = await import('../src/harness/index.js');
    const { rlDomain } = await import('../src/tasks/rl/domain.js');
    const { tempDir } = await import('./cli-helpers.js');
    torch.setNumThreads(1);
    const domain = rlDomain as unknown as Parameters<typeof trainRun>[1];
    const args = [
      '--env',
      GAME,
      '--num-envs',
      '2',
      '--num-steps',
      '16',
      '--minibatches',
      '2',
      '--update-epochs',
      '1',
      '--cache-rollouts',
      '2',
    ];
    const [lotCfg, onlyCfg] = await resolveTrainRuns(
      domain,
      parseArgs([...args, '--methods', 'lot,teacher-only', '--total-steps', '96', '--threads', '1'], trainSpec(domain)),
    );
    assert.equal(lotCfg!.teacher, 'nature-cnn', 'the network follows the environment');
    const root = tempDir('rl-atari');
    const quiet = { log: () => {} };
    const stopAfterOne = () => {
      let reads = 0;
      return {
        get stop() {
          return ++reads > 1;
        },
        set stop(_v) {},
      };
    };
    const a = RunFolder.create(root, 'lot', lotCfg);
    const b = RunFolder.create(root, 'only', onlyCfg);
    assert.equal((await trainRun(a, domain, { ...quiet, signal: stopAfterOne() })).status, 'interrupted');
    assert.equal((await trainRun(b, domain, { ...quiet, signal: stopAfterOne() })).status, 'interrupted');
    const teacherOf = (f: InstanceType<typeof RunFolder>) =>
      (torch.load(f.checkpointPath) as Record<string, Record<string, Record<string, import('@lot/torch').Tensor>>>).models!.teacher!;
    const [ta, tb] = [teacherOf(a), teacherOf(b)];
    for (const [k, t] of Object.entries(ta)) assert.ok(torch.allclose(t, tb[k]!, 0, 0), `teacher ${k} differs from teacher-only's`);
    const resumed = await trainRun(a, domain, quiet);
    assert.equal(resumed.status, 'complete');
    assert.equal(resumed.teacherSteps, 3);
    assert.equal(resumed.final!.teacher.agentSteps, 96);
  });
});

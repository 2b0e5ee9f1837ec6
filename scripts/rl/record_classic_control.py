"""Trajectories of gymnasium's CartPole-v1 and Acrobot-v1, for packages/lot/test/rl-envs.test.ts.

The TypeScript environments in packages/lot/src/tasks/rl/envs/ reimplement the dynamics of
gymnasium/envs/classic_control/{cartpole,acrobot}.py; the test replays these episodes from their
recorded initial states and compares every step. To rerun (from the repository root):

    python3 -m venv /tmp/gymenv
    /tmp/gymenv/bin/pip install gymnasium==1.3.0 numpy
    /tmp/gymenv/bin/python scripts/rl/record_classic_control.py

It writes packages/lot/test/fixtures/classic-control/<env id>.json:

    {"env", "gymnasium", "numpy", "max_episode_steps",
     "episodes": [{"policy", "seed", "action_seed", "initial_state", "reset_obs",
                   "actions", "obs", "rewards", "terminated", "truncated"}]}

initial_state is env.unwrapped.state right after reset (float64 for CartPole; Acrobot keeps the
float32 it drew). obs[t] is the float32 observation after actions[t], written as the exact double
of that float32 (nothing rounded). Episodes run until terminated or truncated (the TimeLimit of
gym.make: 500 steps for both).

Policies: 'random' draws actions from numpy's default_rng(action_seed); the controllers make long
CartPole episodes (to the time limit) and short Acrobot ones (to the terminal height).
"""

import json
import os

import gymnasium as gym
import numpy as np

OUT = os.path.normpath(
    os.path.join(
        os.path.dirname(os.path.abspath(__file__)),
        "../../packages/lot/test/fixtures/classic-control",
    )
)


def cartpole_balance(obs, _rng):
    # Push toward where the pole falls: keeps it up until the 500-step limit.
    return int(obs[2] + 0.5 * obs[3] + 0.01 * obs[0] + 0.05 * obs[1] > 0)


def acrobot_pump(obs, _rng):
    # Torque along the second joint's velocity pumps energy: reaches the terminal height quickly.
    return 2 if obs[5] > 0 else 0


def random_policy(n):
    return lambda _obs, rng: int(rng.integers(n))


# (env id, [(policy name, policy, reset seed, action seed)])
PLAN = [
    (
        "CartPole-v1",
        [
            ("random", random_policy(2), 0, 100),
            ("random", random_policy(2), 1, 101),
            ("random", random_policy(2), 2, 102),
            ("balance", cartpole_balance, 3, 103),
        ],
    ),
    (
        "Acrobot-v1",
        [
            ("random", random_policy(3), 0, 200),
            ("random", random_policy(3), 1, 201),
            ("pump", acrobot_pump, 2, 202),
        ],
    ),
]


def f32(values):
    """The exact doubles of float32 values."""
    return [float(v) for v in np.asarray(values, dtype=np.float32)]


def record(env_id, policy_name, policy, seed, action_seed):
    env = gym.make(env_id)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(action_seed)
    episode = {
        "policy": policy_name,
        "seed": seed,
        "action_seed": action_seed,
        "initial_state": [float(v) for v in env.unwrapped.state],
        "reset_obs": f32(obs),
        "actions": [],
        "obs": [],
        "rewards": [],
        "terminated": [],
        "truncated": [],
    }
    while True:
        action = policy(obs, rng)
        obs, reward, terminated, truncated, _ = env.step(action)
        assert obs.dtype == np.float32
        episode["actions"].append(action)
        episode["obs"].append(f32(obs))
        episode["rewards"].append(float(reward))
        episode["terminated"].append(bool(terminated))
        episode["truncated"].append(bool(truncated))
        if terminated or truncated:
            break
    env.close()
    return episode


def main():
    os.makedirs(OUT, exist_ok=True)
    for env_id, plan in PLAN:
        episodes = [record(env_id, *args) for args in plan]
        data = {
            "env": env_id,
            "gymnasium": gym.__version__,
            "numpy": np.__version__,
            "max_episode_steps": gym.spec(env_id).max_episode_steps,
            "episodes": episodes,
        }
        path = os.path.join(OUT, f"{env_id}.json")
        with open(path, "w") as f:
            json.dump(data, f, separators=(",", ":"))
            f.write("\n")
        ends = [
            (len(e["actions"]), e["terminated"][-1], e["truncated"][-1])
            for e in episodes
        ]
        print(f"{os.path.relpath(path)}: {os.path.getsize(path)} bytes; (steps, terminated, truncated) {ends}")


if __name__ == "__main__":
    main()

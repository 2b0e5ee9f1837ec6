# PPO on BreakoutNoFrameskip-v4, PyTorch side (driven by ppo_atari.mjs): CleanRL's ppo_atari.py loop
# as it is written (Nature CNN Agent with layer_init, x / 255, Categorical, the clipped losses with
# clip 0.1, clip_grad_norm_ 0.5, Adam 2.5e-4 eps 1e-5, lr annealed linearly per iteration) on the
# SAME environments as ours: the wrapper chain of our Atari worker
# (packages/lot/src/tasks/rl/atari/atari_worker.py: its make_wrappers and constants are imported,
# its make_env, which is local to its main(), is rebuilt here line for line) in a gymnasium
# SyncVectorEnv in this process, as CleanRL does (same-step autoreset, as gymnasium 0.29 that
# CleanRL pins, and as our worker). Timed pieces:
#   iter:    one iteration of ppo_atari's loop: lr annealing, a rollout of num_envs x num_steps,
#            the bootstrap value, GAE, the update (update_epochs x num_minibatches); the time is
#            split into the vector-environment steps, the acting forward passes (x / 255 -> trunk ->
#            heads, the bootstrap value included), the rest of the rollout (Categorical sampling,
#            log-probabilities, copies into the buffers, GAE, the flat batch) and the update;
#   env:     num_steps vector-environment steps alone (fixed actions) in a SyncVectorEnv;
#   envloop: the same steps through our worker's own step loop (atari_worker.py main(): step each
#            env, reset the ended ones, copy into one obs array, build the answer's bytes) without
#            the pipe, so ours minus this is what the pipe costs.
# ppo_atari's approx_kl / clipfrac lines stay in the minibatch loop (--diag 0 drops them); its
# TensorBoard logging and prints are left out.
# Protocol: prints {"ready": true, ...} after the warm-up; each stdin line "iter K", "env K" or
# "envloop K" is answered with one JSON line of K timings (wall and CPU seconds); "quit" ends.
# Needs torch, numpy, gymnasium, ale-py and opencv-python-headless
# (python3 -m pip install ale-py gymnasium opencv-python-headless).
import argparse
import json
import os
import signal
import sys
import time

import ale_py
import cv2
import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.distributions.categorical import Categorical

from ppo_torch import PpoLoop, iteration_reply, layer_init, serve, timed_reply

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'packages', 'lot', 'src', 'tasks', 'rl', 'atari'))
import atari_worker  # noqa: E402

# Importing the worker installs its SIGINT/SIGTERM handlers (os._exit); this process keeps Python's.
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGTERM, signal.SIG_DFL)

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=1)
p.add_argument('--warmup-iters', type=int, default=1, help='untimed iterations first')
p.add_argument('--seed', type=int, default=1)
p.add_argument('--env-id', default='BreakoutNoFrameskip-v4')
p.add_argument('--num-envs', type=int, default=8)
p.add_argument('--num-steps', type=int, default=128)
p.add_argument('--num-minibatches', type=int, default=4)
p.add_argument('--update-epochs', type=int, default=4)
p.add_argument('--learning-rate', type=float, default=2.5e-4)
p.add_argument('--gamma', type=float, default=0.99)
p.add_argument('--gae-lambda', type=float, default=0.95)
p.add_argument('--clip-coef', type=float, default=0.1)
p.add_argument('--ent-coef', type=float, default=0.01)
p.add_argument('--vf-coef', type=float, default=0.5)
p.add_argument('--max-grad-norm', type=float, default=0.5)
p.add_argument('--total-timesteps', type=int, default=10_000_000, help='lr annealing horizon (ppo_atari default)')
p.add_argument('--env-steps', type=int, default=None, help='vector steps of env / envloop (default num_steps)')
p.add_argument('--diag', type=int, default=1, help="ppo_atari's approx_kl / clipfrac lines in the minibatch loop")
p.add_argument('--modes', default='iter,env,envloop')
args = p.parse_args()
args.batch_size = args.num_envs * args.num_steps
args.minibatch_size = args.batch_size // args.num_minibatches
args.num_iterations = args.total_timesteps // args.batch_size
args.env_steps = args.env_steps or args.num_steps
torch.set_num_threads(args.threads)
modes = set(args.modes.split(','))

gym.register_envs(ale_py)
WRAPPERS = atari_worker.make_wrappers(gym, np, cv2)


def make_env(env_id):
    """atari_worker.py's make_env (grayscale 'cv2', the product's default), as a SyncVectorEnv thunk."""
    return lambda: atari_worker.make_env(gym, WRAPPERS, env_id)


def vector_env():
    return gym.vector.SyncVectorEnv(
        [make_env(args.env_id) for i in range(args.num_envs)], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP
    )


# Seconds spent in the agent's forward passes (ppo_atari's lines, with a clock around them).
forward_time = [0.0]


class Agent(nn.Module):
    def __init__(self, envs):
        super().__init__()
        self.network = nn.Sequential(
            layer_init(nn.Conv2d(4, 32, 8, stride=4)),
            nn.ReLU(),
            layer_init(nn.Conv2d(32, 64, 4, stride=2)),
            nn.ReLU(),
            layer_init(nn.Conv2d(64, 64, 3, stride=1)),
            nn.ReLU(),
            nn.Flatten(),
            layer_init(nn.Linear(64 * 7 * 7, 512)),
            nn.ReLU(),
        )
        self.actor = layer_init(nn.Linear(512, envs.single_action_space.n), std=0.01)
        self.critic = layer_init(nn.Linear(512, 1), std=1)

    def get_value(self, x):
        t0 = time.perf_counter()
        v = self.critic(self.network(x / 255.0))
        forward_time[0] += time.perf_counter() - t0
        return v

    def get_action_and_value(self, x, action=None):
        t0 = time.perf_counter()
        hidden = self.network(x / 255.0)
        logits = self.actor(hidden)
        value = self.critic(hidden)
        forward_time[0] += time.perf_counter() - t0
        probs = Categorical(logits=logits)
        if action is None:
            action = probs.sample()
        return action, probs.log_prob(action), probs.entropy(), value


# -- the end-to-end benchmark: ppo_atari's loop, one iteration per call -----------------------------
np.random.seed(args.seed)
torch.manual_seed(args.seed)
envs = vector_env()
assert isinstance(envs.single_action_space, gym.spaces.Discrete)
agent = Agent(envs)
optimizer = optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
loop = PpoLoop(args, agent, optimizer, envs)


def iteration_step():
    """One iteration of ppo_atari's loop: (loss, rollout s, update s, env s, acting forward s)."""
    f0 = forward_time[0]
    loss, rollout, update, env_time, f1 = loop.step(after_rollout=lambda: forward_time[0])
    return loss, rollout, update, env_time, f1 - f0


# -- the environments alone: their own instances, one fixed action pattern --------------------------
n_actions = int(envs.single_action_space.n)
e_actions = [np.array([(s + e) % n_actions for e in range(args.num_envs)], dtype=np.int64) for s in range(args.env_steps)]
e_envs = vector_env() if 'env' in modes else None
if e_envs is not None:
    e_envs.reset(seed=args.seed + 100)


def env_step():
    for a in e_actions:
        e_envs.step(a)


# The worker's step loop (atari_worker.py main(), OP_STEP), on a plain list of the same envs.
l_envs = [make_env(args.env_id)() for _ in range(args.num_envs)] if 'envloop' in modes else None
if l_envs is not None:
    for i, env in enumerate(l_envs):
        env.reset(seed=args.seed + 200 + i)
l_obs = np.zeros((args.num_envs, atari_worker.STACK, atari_worker.SIZE, atari_worker.SIZE), dtype=np.uint8)
l_rewards = np.zeros(args.num_envs, dtype='<f4')
l_terminated = np.zeros(args.num_envs, dtype=np.uint8)
l_truncated = np.zeros(args.num_envs, dtype=np.uint8)
l_actions = [a.astype('<i4').tobytes() for a in e_actions]


def envloop_step():
    for payload in l_actions:
        # Channel.send's body, without the write.
        b''.join(atari_worker.step_envs(l_envs, np.frombuffer(payload, dtype='<i4'), l_obs, l_rewards, l_terminated, l_truncated))


for _ in range(args.warmup_iters):
    if 'iter' in modes:
        iteration_step()
if 'env' in modes:
    env_step()
if 'envloop' in modes:
    envloop_step()
print(
    json.dumps(
        {
            'ready': True,
            'threads': torch.get_num_threads(),
            'torch': torch.__version__,
            'gymnasium': gym.__version__,
            'ale_py': ale_py.__version__,
            'numpy': np.__version__,
            'actions': n_actions,
        }
    ),
    flush=True,
)


serve(
    {
        'iter': lambda k: iteration_reply(k, iteration_step, loop, env=3, forward=4),
        'env': timed_reply(env_step),
        'envloop': timed_reply(envloop_step),
    }
)

# PPO on CartPole-v1, PyTorch side (driven by ppo_cartpole.mjs): CleanRL's ppo.py as it is written
# (Agent with layer_init, Categorical, the clipped losses, clip_grad_norm_, Adam 2.5e-4 eps 1e-5),
# in three timed pieces:
#   update: one PPO update (4 epochs x 4 shuffled minibatches of 128) on a fixed batch of 512
#           (ppo_cartpole.mjs builds the same batch from the same formulas);
#   iter:   one iteration of ppo.py's loop: lr annealing, a rollout of 4 envs x 128 steps of
#           gymnasium's CartPole-v1 in a SyncVectorEnv (same-step autoreset, as gymnasium 0.29
#           that CleanRL pins, and as our ClassicVectorEnv), the bootstrap value, GAE, the update;
#   env:    the 128 vector-environment steps alone (fixed actions), to tell the environments'
#           share from the agent's.
# ppo.py's diagnostics inside the minibatch loop (approx_kl, clipfrac with .item()) are kept as
# written; --diag 0 drops them. Its TensorBoard logging and prints are left out.
# Protocol: prints {"ready": true, ...} after the warm-up; each stdin line "update K", "iter K" or
# "env K" is answered with one JSON line of K timings (wall and CPU seconds); "quit" ends.
# Needs torch, numpy and gymnasium (python3 -m pip install gymnasium).
import argparse
import json
import math

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.distributions.categorical import Categorical

from ppo_torch import PpoLoop, iteration_reply, layer_init, ppo_update, serve, timed, timed_reply

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=1)
p.add_argument('--warmup', type=int, default=20, help='untimed updates first')
p.add_argument('--warmup-iters', type=int, default=8, help='untimed iterations first')
p.add_argument('--seed', type=int, default=1)
p.add_argument('--num-envs', type=int, default=4)
p.add_argument('--num-steps', type=int, default=128)
p.add_argument('--num-minibatches', type=int, default=4)
p.add_argument('--update-epochs', type=int, default=4)
p.add_argument('--learning-rate', type=float, default=2.5e-4)
p.add_argument('--gamma', type=float, default=0.99)
p.add_argument('--gae-lambda', type=float, default=0.95)
p.add_argument('--clip-coef', type=float, default=0.2)
p.add_argument('--ent-coef', type=float, default=0.01)
p.add_argument('--vf-coef', type=float, default=0.5)
p.add_argument('--max-grad-norm', type=float, default=0.5)
p.add_argument('--num-iterations', type=int, default=976, help="lr annealing horizon (ppo.py: 500000 // 512)")
p.add_argument('--diag', type=int, default=1, help="ppo.py's approx_kl / clipfrac lines in the minibatch loop")
p.add_argument('--modes', default='update,iter,env')
args = p.parse_args()
args.batch_size = args.num_envs * args.num_steps
args.minibatch_size = args.batch_size // args.num_minibatches
torch.set_num_threads(args.threads)
modes = set(args.modes.split(','))
ENV_ID = 'CartPole-v1'


def make_env(env_id):
    def thunk():
        env = gym.make(env_id)
        env = gym.wrappers.RecordEpisodeStatistics(env)
        return env

    return thunk


class Agent(nn.Module):
    def __init__(self, obs_size, n_actions):
        super().__init__()
        self.critic = nn.Sequential(
            layer_init(nn.Linear(obs_size, 64)),
            nn.Tanh(),
            layer_init(nn.Linear(64, 64)),
            nn.Tanh(),
            layer_init(nn.Linear(64, 1), std=1.0),
        )
        self.actor = nn.Sequential(
            layer_init(nn.Linear(obs_size, 64)),
            nn.Tanh(),
            layer_init(nn.Linear(64, 64)),
            nn.Tanh(),
            layer_init(nn.Linear(64, n_actions), std=0.01),
        )

    def get_value(self, x):
        return self.critic(x)

    def get_action_and_value(self, x, action=None):
        logits = self.actor(x)
        probs = Categorical(logits=logits)
        if action is None:
            action = probs.sample()
        return action, probs.log_prob(action), probs.entropy(), self.critic(x)


def fixed_batch(n):
    """The update benchmark's batch; the same formulas as fixedBatch in ppo_cartpole.mjs."""
    i = np.arange(n, dtype=np.float64)
    scale = [1.0, 0.8, 0.1, 0.7]
    obs = np.stack([scale[j] * np.sin(0.37 * i + 1.3 * j + 0.1) for j in range(4)], axis=1)
    actions = (np.arange(n) * 7 + np.arange(n) // 3) % 2
    logprobs = math.log(0.5) + 0.01 * np.sin(0.11 * i)
    values = 0.3 * np.sin(0.05 * i)
    advantages = np.sin(0.23 * i) + 0.5 * np.cos(0.031 * i)
    returns = values + advantages
    f = lambda a: torch.tensor(a.astype(np.float32))
    # ppo.py keeps actions as float32 storage and calls .long() per minibatch.
    return f(obs), f(logprobs), f(actions), f(advantages), f(returns), f(values)


# -- the update benchmark: a fixed batch, the agent keeps training on it ---------------------------
np.random.seed(args.seed)
torch.manual_seed(args.seed)
u_agent = Agent(4, 2)
u_optimizer = optim.Adam(u_agent.parameters(), lr=args.learning_rate, eps=1e-5)
u_batch = fixed_batch(args.batch_size)


def update_step():
    return ppo_update(args, u_agent, u_optimizer, *u_batch)


# -- the end-to-end benchmark: ppo.py's loop, one iteration per call --------------------------------
torch.manual_seed(args.seed)
envs = gym.vector.SyncVectorEnv(
    [make_env(ENV_ID) for i in range(args.num_envs)], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP
)
assert isinstance(envs.single_action_space, gym.spaces.Discrete)
agent = Agent(int(np.array(envs.single_observation_space.shape).prod()), int(envs.single_action_space.n))
optimizer = optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
loop = PpoLoop(args, agent, optimizer, envs)


def iteration_step():
    """One iteration of ppo.py's loop; returns (loss, rollout seconds, update seconds)."""
    return loop.step()[:3]


# -- the environments alone: their own instances, one fixed action pattern --------------------------
e_envs = gym.vector.SyncVectorEnv(
    [make_env(ENV_ID) for i in range(args.num_envs)], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP
)
e_envs.reset(seed=args.seed + 100)
e_actions = [np.array([(s + e) % 2 for e in range(args.num_envs)], dtype=np.int64) for s in range(args.num_steps)]


def env_step():
    for a in e_actions:
        e_envs.step(a)


if 'update' in modes:
    for _ in range(args.warmup):
        update_step()
for _ in range(args.warmup_iters):
    if 'iter' in modes:
        iteration_step()
    if 'env' in modes:
        env_step()
print(
    json.dumps(
        {'ready': True, 'threads': torch.get_num_threads(), 'torch': torch.__version__, 'gymnasium': gym.__version__, 'numpy': np.__version__}
    ),
    flush=True,
)


def update_reply(k):
    times, cpu, out = timed(lambda: update_step().item(), k)
    return {'times': times, 'cpu': cpu, 'loss': out[-1]}


serve(
    {
        'update': update_reply,
        'iter': lambda k: iteration_reply(k, iteration_step, loop),
        'env': timed_reply(env_step),
    }
)

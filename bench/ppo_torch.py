# What both PPO benchmarks' PyTorch sides share, as CleanRL writes it in ppo.py and ppo_atari.py:
# layer_init, the update ("Optimizing the policy and value network"), the loop around it (learning
# rate annealing, rollout, GAE), and the timing helper.
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


def ppo_update(args, agent, optimizer, b_obs, b_logprobs, b_actions, b_advantages, b_returns, b_values):
    """The "Optimizing the policy and value network" block of CleanRL's ppo.py and ppo_atari.py (the
    same in both); `args` holds their settings. Returns the last minibatch's loss."""
    b_inds = np.arange(args.batch_size)
    clipfracs = []
    for epoch in range(args.update_epochs):
        np.random.shuffle(b_inds)
        for start in range(0, args.batch_size, args.minibatch_size):
            end = start + args.minibatch_size
            mb_inds = b_inds[start:end]

            _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[mb_inds], b_actions.long()[mb_inds])
            logratio = newlogprob - b_logprobs[mb_inds]
            ratio = logratio.exp()

            if args.diag:
                with torch.no_grad():
                    old_approx_kl = (-logratio).mean()
                    approx_kl = ((ratio - 1) - logratio).mean()
                    clipfracs += [((ratio - 1.0).abs() > args.clip_coef).float().mean().item()]

            mb_advantages = b_advantages[mb_inds]
            mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)

            pg_loss1 = -mb_advantages * ratio
            pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)
            pg_loss = torch.max(pg_loss1, pg_loss2).mean()

            newvalue = newvalue.view(-1)
            v_loss_unclipped = (newvalue - b_returns[mb_inds]) ** 2
            v_clipped = b_values[mb_inds] + torch.clamp(newvalue - b_values[mb_inds], -args.clip_coef, args.clip_coef)
            v_loss_clipped = (v_clipped - b_returns[mb_inds]) ** 2
            v_loss_max = torch.max(v_loss_unclipped, v_loss_clipped)
            v_loss = 0.5 * v_loss_max.mean()

            entropy_loss = entropy.mean()
            loss = pg_loss - args.ent_coef * entropy_loss + v_loss * args.vf_coef

            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
            optimizer.step()
    return loss


class PpoLoop:
    """CleanRL's main loop, one iteration per call, with the storage and the acting position it keeps between them."""

    def __init__(self, args, agent, optimizer, envs):
        self.args, self.agent, self.optimizer, self.envs = args, agent, optimizer, envs
        shape = (args.num_steps, args.num_envs)
        self.obs = torch.zeros(shape + envs.single_observation_space.shape)
        self.actions = torch.zeros(shape + envs.single_action_space.shape)
        self.logprobs = torch.zeros(shape)
        self.rewards = torch.zeros(shape)
        self.dones = torch.zeros(shape)
        self.values = torch.zeros(shape)
        self.global_step = 0
        self.iteration = 0
        self.episodes = 0
        self.return_ema = None
        next_obs, _ = envs.reset(seed=args.seed)
        self.next_obs = torch.Tensor(next_obs)
        self.next_done = torch.zeros(args.num_envs)

    def step(self, after_rollout=None):
        """One iteration: (loss, rollout seconds, update seconds, seconds in envs.step, what
        after_rollout() returned when the rollout was done, before the update)."""
        args, agent = self.args, self.agent
        obs, actions, logprobs, rewards, dones, values = self.obs, self.actions, self.logprobs, self.rewards, self.dones, self.values
        t0 = time.perf_counter()
        env_time = 0.0
        self.iteration += 1
        frac = 1.0 - (min(self.iteration, args.num_iterations) - 1.0) / args.num_iterations
        self.optimizer.param_groups[0]['lr'] = frac * args.learning_rate

        next_obs, next_done = self.next_obs, self.next_done
        for step in range(0, args.num_steps):
            self.global_step += args.num_envs
            obs[step] = next_obs
            dones[step] = next_done

            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(next_obs)
                values[step] = value.flatten()
            actions[step] = action
            logprobs[step] = logprob

            e0 = time.perf_counter()
            next_obs, reward, terminations, truncations, infos = self.envs.step(action.cpu().numpy())
            env_time += time.perf_counter() - e0
            next_done = np.logical_or(terminations, truncations)
            rewards[step] = torch.tensor(reward).view(-1)
            next_obs, next_done = torch.Tensor(next_obs), torch.Tensor(next_done)

            # CleanRL logs each finished episode here (gymnasium 1.x: final_info is a dict of arrays;
            # on Atari RecordEpisodeStatistics sits under EpisodicLifeEnv, so only whole games count).
            if 'final_info' in infos and 'episode' in infos['final_info']:
                fi = infos['final_info']
                for r in fi['episode']['r'][fi['_episode']]:
                    self.episodes += 1
                    self.return_ema = float(r) if self.return_ema is None else 0.9 * self.return_ema + 0.1 * float(r)
        self.next_obs, self.next_done = next_obs, next_done

        with torch.no_grad():
            next_value = agent.get_value(next_obs).reshape(1, -1)
            advantages = torch.zeros_like(rewards)
            lastgaelam = 0
            for t in reversed(range(args.num_steps)):
                if t == args.num_steps - 1:
                    nextnonterminal = 1.0 - next_done
                    nextvalues = next_value
                else:
                    nextnonterminal = 1.0 - dones[t + 1]
                    nextvalues = values[t + 1]
                delta = rewards[t] + args.gamma * nextvalues * nextnonterminal - values[t]
                advantages[t] = lastgaelam = delta + args.gamma * args.gae_lambda * nextnonterminal * lastgaelam
            returns = advantages + values

        b_obs = obs.reshape((-1,) + self.envs.single_observation_space.shape)
        b_logprobs = logprobs.reshape(-1)
        b_actions = actions.reshape((-1,) + self.envs.single_action_space.shape)
        b_advantages = advantages.reshape(-1)
        b_returns = returns.reshape(-1)
        b_values = values.reshape(-1)
        t1 = time.perf_counter()
        mark = after_rollout() if after_rollout else None
        loss = ppo_update(args, agent, self.optimizer, b_obs, b_logprobs, b_actions, b_advantages, b_returns, b_values)
        loss_value = loss.item()
        t2 = time.perf_counter()
        return loss_value, t1 - t0, t2 - t1, env_time, mark


def timed(fn, k):
    """k calls of fn: wall seconds, CPU seconds and results of each."""
    times, cpu, out = [], [], []
    for _ in range(k):
        t0, c0 = time.perf_counter(), time.process_time()
        out.append(fn())
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return times, cpu, out


def iteration_reply(k, step, loop, **extra):
    """k timed iterations (step returns loss, rollout s, update s, ...) as the JS side reads them."""
    times, cpu, out = timed(step, k)
    return {
        'times': times,
        'cpu': cpu,
        'rollout': [o[1] for o in out],
        'update': [o[2] for o in out],
        **{name: [o[i] for o in out] for name, i in extra.items()},
        'loss': out[-1][0],
        'episodes': loop.episodes,
        'return_ema': loop.return_ema,
        'agent_steps': loop.global_step,
    }


def timed_reply(step):
    """A command answering with k timed calls of step: wall and CPU seconds of each."""

    def reply(k):
        times, cpu, _ = timed(step, k)
        return {'times': times, 'cpu': cpu}

    return reply


def serve(commands):
    """Answers each request line 'NAME K' on stdin with commands[NAME](K) as one JSON line, until 'quit'."""
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == 'quit':
            break
        if cmd[0] not in commands:
            raise SystemExit(f'unknown command {cmd[0]}')
        print(json.dumps(commands[cmd[0]](int(cmd[1]))), flush=True)

// The PPO agents (docs/METHOD.md#reinforcement-learning): CleanRL's ppo.py agent for classic
// control (separate 64-64 tanh actor and critic) and ppo_atari's Nature CNN with a shared trunk.
// Parameter names are CleanRL's (`actor.0.weight`, `network.0.weight`, `critic.weight`), so a
// state dict maps one to one onto the Python agents.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';

const nn = torch.nn;

/** What an agent returns for a batch of observations: action logits and state values. */
export interface AgentOutput {
  logits: Tensor;
  /** [batch]; null when only the policy was asked for (the students never use their critic). */
  value: Tensor | null;
}

export interface Agent extends torch.nn.Module {
  /** Logits and values; `withValue` false skips the critic. */
  act(obs: Tensor, withValue?: boolean): AgentOutput;
}

/** CleanRL's layer_init: orthogonal weight with `gain`, zero bias. */
function layerInit<M extends torch.nn.Linear | torch.nn.Conv2d>(layer: M, gain = Math.SQRT2): M {
  torch.noGrad(() => {
    torch.nn.init.orthogonal_(layer.weight, gain);
    layer.bias?.zero_();
  });
  return layer;
}

const mlp = (inputs: number, outputs: number, lastGain: number): torch.nn.Sequential =>
  new nn.Sequential(
    layerInit(new nn.Linear(inputs, 64)),
    new nn.Tanh(),
    layerInit(new nn.Linear(64, 64)),
    new nn.Tanh(),
    layerInit(new nn.Linear(64, outputs), lastGain),
  );

/** ppo.py's agent: critic and actor are separate MLPs (64-64, tanh); actor's last layer gain 0.01, critic's 1. */
export class MlpAgent extends nn.Module implements Agent {
  declare critic: torch.nn.Sequential;
  declare actor: torch.nn.Sequential;

  constructor(observations: number, actions: number) {
    super();
    this.registerModule('critic', mlp(observations, 1, 1));
    this.registerModule('actor', mlp(observations, actions, 0.01));
  }

  act(obs: Tensor, withValue = true): AgentOutput {
    const logits = this.actor.forward(obs) as Tensor;
    return { logits, value: withValue ? (this.critic.forward(obs) as Tensor).reshape(-1) : null };
  }

  forward(obs: Tensor): Tensor {
    return this.act(obs, false).logits;
  }
}

/** ppo_atari's agent: x/255 → Nature CNN trunk (3136 → 512) → actor (gain 0.01) and critic (gain 1) heads. */
export class NatureCnnAgent extends nn.Module implements Agent {
  declare network: torch.nn.Sequential;
  declare actor: torch.nn.Linear;
  declare critic: torch.nn.Linear;

  constructor(actions: number, frames = 4) {
    super();
    this.registerModule(
      'network',
      new nn.Sequential(
        layerInit(new nn.Conv2d(frames, 32, 8, { stride: 4 })),
        new nn.ReLU(),
        layerInit(new nn.Conv2d(32, 64, 4, { stride: 2 })),
        new nn.ReLU(),
        layerInit(new nn.Conv2d(64, 64, 3, { stride: 1 })),
        new nn.ReLU(),
        new nn.Flatten(),
        layerInit(new nn.Linear(64 * 7 * 7, 512)),
        new nn.ReLU(),
      ),
    );
    this.registerModule('actor', layerInit(new nn.Linear(512, actions), 0.01));
    this.registerModule('critic', layerInit(new nn.Linear(512, 1), 1));
  }

  act(obs: Tensor, withValue = true): AgentOutput {
    return torch.tidy(() => {
      const hidden = this.network.forward(obs.to('float32').div(255)) as Tensor;
      return { logits: this.actor.forward(hidden), value: withValue ? this.critic.forward(hidden).reshape(-1) : null };
    });
  }

  forward(obs: Tensor): Tensor {
    return this.act(obs, false).logits;
  }
}

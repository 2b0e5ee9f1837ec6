"""The Atari worker of AtariVectorEnv (atari-env.ts): `num` environments of one game, stepped in a
batch, with the preprocessing of CleanRL's ppo_atari as the LoT reference runs it:

    gym.make(<Game>NoFrameskip-v4)  with the reference's time limit: gym 0.23 / ale-py 0.7's
                                TimeLimit of 400,000 frames (ale-py 0.12 would end at 108,000)
    → RecordEpisodeStatistics   raw whole-game return and length (in emulator frames): reported
    → NoopResetEnv(30)          1..30 random no-ops at each real reset
    → MaxAndSkipEnv(4)          each action for 4 frames, max of the last two
    → EpisodicLifeEnv           losing a life ends the training episode; the game resets at game over
    → FireResetEnv              when 'FIRE' is among the action meanings
    → ClipRewardEnv             reward → its sign
    → ResizeObservation(84, 84) cv2.resize INTER_AREA, on the RGB frame
    → grayscale                 cv2.cvtColor RGB2GRAY, as gym 0.23.1's GrayScaleObservation (the
                                reference's); --grayscale gymnasium: gymnasium 1.x's weighted sum
    → FrameStackObservation(4)  [4, 84, 84] uint8, padded at reset with the first frame

The five Atari wrappers are stable-baselines3's (common/atari_wrappers.py, gymnasium API), written
out here because SB3 is not a dependency; RecordEpisodeStatistics, ResizeObservation and the frame
stack are gymnasium's own. Env i is seeded seed + i at the first reset. An env whose (training)
episode ends is reset in the same step, as gym 0.26's SyncVectorEnv does: its new first observation
is returned, and when the whole game ended, the raw return and length are reported.

Protocol (little-endian), over two FIFOs that atari-env.ts makes and passes as fds 3 and 4
(read/write); the worker reopens them one-way by path so that each side sees EOF when the other
goes (see atari-env.ts):
  command  = op int32 (1 reset, 2 step, 3 close), payload length int32, payload
             (step: num × int32 actions; reset, close: none)
  response = magic 'LOTA', kind int32 (0 hello, 1 reset, 2 step, 255 error), body length int32, body
    hello: num, actions, 4, 84, 84 (int32 each), then UTF-8 JSON {envId, actionMeanings, versions}
    reset: obs num×4×84×84 uint8
    step:  obs, rewards num × float32 (clipped), terminated num × uint8, truncated num × uint8,
           finished count int32, then count × (env int32, raw return float64, length int32)
    error: a UTF-8 message; the worker then exits with code 2.
The worker exits when its command FIFO closes (the parent is gone) and on SIGINT/SIGTERM.
"""

import argparse
import json
import os
import signal
import struct
import sys

MAGIC = b"LOTA"
OP_RESET, OP_STEP, OP_CLOSE = 1, 2, 3
HELLO, RESET, STEP, ERROR = 0, 1, 2, 255
STACK, SIZE = 4, 84
MAX_FRAMES = 400_000


def on_signal(signum, _frame):
    os._exit(128 + signum)


signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGTERM, on_signal)


def open_channels(cmd_path, res_path):
    """The command FIFO for reading and the result FIFO for writing, each opened one-way by path
    while the inherited read-write fds 3 and 4 still guarantee the other end (so no open blocks),
    then those closed: from here the parent is the only writer of the commands and the only reader
    of the results, and its death shows as EOF (commands) or EPIPE (results)."""
    cmd = os.open(cmd_path, os.O_RDONLY)
    os.close(3)
    res = os.open(res_path, os.O_WRONLY)
    os.close(4)
    try:  # Room for a whole batch of observations in the pipe (Linux; best effort).
        import fcntl

        fcntl.fcntl(res, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except OSError:
        pass
    return open(cmd, "rb"), open(res, "wb")


class Channel:
    def __init__(self, rf, wf):
        self.rf, self.wf = rf, wf

    def send(self, kind, *parts):
        body = b"".join(parts)
        self.wf.write(MAGIC + struct.pack("<ii", kind, len(body)))
        self.wf.write(body)
        self.wf.flush()

    def receive(self):
        """(op, payload), or None at EOF."""
        head = self.rf.read(8)
        if len(head) < 8:
            return None
        op, n = struct.unpack("<ii", head)
        payload = self.rf.read(n) if n else b""
        if len(payload) < n:
            return None
        return op, payload


def make_wrappers(gym, np, cv2):
    """stable-baselines3's Atari wrappers (common/atari_wrappers.py, gymnasium API), as they are."""

    class NoopResetEnv(gym.Wrapper):
        def __init__(self, env, noop_max=30):
            super().__init__(env)
            self.noop_max = noop_max
            self.override_num_noops = None
            self.noop_action = 0
            assert env.unwrapped.get_action_meanings()[0] == "NOOP"

        def reset(self, **kwargs):
            self.env.reset(**kwargs)
            if self.override_num_noops is not None:
                noops = self.override_num_noops
            else:
                noops = self.unwrapped.np_random.integers(1, self.noop_max + 1)
            assert noops > 0
            obs = np.zeros(0)
            info = {}
            for _ in range(noops):
                obs, _, terminated, truncated, info = self.env.step(self.noop_action)
                if terminated or truncated:
                    obs, info = self.env.reset(**kwargs)
            return obs, info

    class FireResetEnv(gym.Wrapper):
        def __init__(self, env):
            super().__init__(env)
            assert env.unwrapped.get_action_meanings()[1] == "FIRE"
            assert len(env.unwrapped.get_action_meanings()) >= 3

        def reset(self, **kwargs):
            self.env.reset(**kwargs)
            obs, _, terminated, truncated, _ = self.env.step(1)
            if terminated or truncated:
                self.env.reset(**kwargs)
            obs, _, terminated, truncated, _ = self.env.step(2)
            if terminated or truncated:
                self.env.reset(**kwargs)
            return obs, {}

    class EpisodicLifeEnv(gym.Wrapper):
        def __init__(self, env):
            super().__init__(env)
            self.lives = 0
            self.was_real_done = True

        def step(self, action):
            obs, reward, terminated, truncated, info = self.env.step(action)
            self.was_real_done = terminated or truncated
            # Losing a life is terminal; lives are then updated (bonus lives). Lives must stay > 0
            # here (Qbert sits at 0 for a few frames) so that the game resets once, when it says so.
            lives = self.env.unwrapped.ale.lives()
            if 0 < lives < self.lives:
                terminated = True
            self.lives = lives
            return obs, reward, terminated, truncated, info

        def reset(self, **kwargs):
            if self.was_real_done:
                obs, info = self.env.reset(**kwargs)
            else:
                # A no-op step out of the lost-life state; it may end the game, then reset it.
                obs, _, terminated, truncated, info = self.env.step(0)
                if terminated or truncated:
                    obs, info = self.env.reset(**kwargs)
            self.lives = self.env.unwrapped.ale.lives()
            return obs, info

    class MaxAndSkipEnv(gym.Wrapper):
        def __init__(self, env, skip=4):
            super().__init__(env)
            self._obs_buffer = np.zeros((2, *env.observation_space.shape), dtype=env.observation_space.dtype)
            self._skip = skip

        def step(self, action):
            total_reward = 0.0
            terminated = truncated = False
            for i in range(self._skip):
                obs, reward, terminated, truncated, info = self.env.step(action)
                done = terminated or truncated
                if i == self._skip - 2:
                    self._obs_buffer[0] = obs
                if i == self._skip - 1:
                    self._obs_buffer[1] = obs
                total_reward += float(reward)
                if done:
                    break
            # The observation of the done frame does not matter.
            max_frame = self._obs_buffer.max(axis=0)
            return max_frame, total_reward, terminated, truncated, info

    class ClipRewardEnv(gym.RewardWrapper):
        def reward(self, reward):
            return np.sign(float(reward))

    class Cv2GrayScale(gym.ObservationWrapper):
        """gym 0.23.1's GrayScaleObservation (keep_dim=False): cv2.cvtColor RGB2GRAY."""

        def __init__(self, env):
            super().__init__(env)
            h, w = env.observation_space.shape[:2]
            self.observation_space = gym.spaces.Box(low=0, high=255, shape=(h, w), dtype=np.uint8)

        def observation(self, observation):
            return cv2.cvtColor(observation, cv2.COLOR_RGB2GRAY)

    return NoopResetEnv, MaxAndSkipEnv, EpisodicLifeEnv, FireResetEnv, ClipRewardEnv, Cv2GrayScale


def make_env(gym, wrappers, env_id, grayscale="cv2"):
    """One environment with the reference's chain, in order; `wrappers` from make_wrappers."""
    NoopResetEnv, MaxAndSkipEnv, EpisodicLifeEnv, FireResetEnv, ClipRewardEnv, Cv2GrayScale = wrappers
    # The reference's NoFrameskip-v4 (gym 0.23.1, ale-py 0.7.4): no frame cap in the ALE,
    # and a TimeLimit of 100,000 × 4 frames (ale-py 0.12 registers a 108,000-frame cap).
    env = gym.make(env_id, max_num_frames_per_episode=None, max_episode_steps=MAX_FRAMES)
    env = gym.wrappers.RecordEpisodeStatistics(env)
    env = NoopResetEnv(env, noop_max=30)
    env = MaxAndSkipEnv(env, skip=4)
    env = EpisodicLifeEnv(env)
    if "FIRE" in env.unwrapped.get_action_meanings():
        env = FireResetEnv(env)
    env = ClipRewardEnv(env)
    env = gym.wrappers.ResizeObservation(env, (SIZE, SIZE))
    env = Cv2GrayScale(env) if grayscale == "cv2" else gym.wrappers.GrayscaleObservation(env)
    env = gym.wrappers.FrameStackObservation(env, STACK)
    return env


def step_envs(envs, actions, obs, rewards, terminated, truncated):
    """One step of every environment, an ended one reset at once (its new first observation goes
    into obs); fills the arrays and returns the step answer's parts: observations, rewards, flags,
    and the games that ended (env, raw return, length)."""
    finished = []
    for i, env in enumerate(envs):
        o, r, term, trunc, info = env.step(int(actions[i]))
        rewards[i] = r
        terminated[i] = term
        truncated[i] = trunc
        if term or trunc:
            episode = info.get("episode")
            if episode is not None:  # the whole game ended, not only a life
                finished.append(struct.pack("<idi", i, float(episode["r"]), int(episode["l"])))
            o, _ = env.reset()
        obs[i] = o
    return (obs.tobytes(), rewards.tobytes(), terminated.tobytes(), truncated.tobytes(), struct.pack("<i", len(finished)), *finished)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--env-id", required=True)
    ap.add_argument("--num", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--grayscale", choices=("cv2", "gymnasium"), default="cv2")
    ap.add_argument("--cmd", required=True, help="the command FIFO (also inherited as fd 3)")
    ap.add_argument("--res", required=True, help="the result FIFO (also inherited as fd 4)")
    a = ap.parse_args()
    ch = Channel(*open_channels(a.cmd, a.res))

    try:
        from importlib.metadata import version

        import ale_py
        import cv2
        import gymnasium as gym
        import numpy as np

        gym.register_envs(ale_py)
        wrappers = make_wrappers(gym, np, cv2)

        if a.env_id not in gym.registry:
            games = sorted(k[: -len("NoFrameskip-v4")] for k in gym.registry if k.endswith("NoFrameskip-v4") and "/" not in k)
            ch.send(ERROR, f"unknown Atari game '{a.env_id}': the ids are <Game>NoFrameskip-v4 with <Game> one of {', '.join(games)}".encode())
            sys.exit(2)

        envs = [make_env(gym, wrappers, a.env_id, a.grayscale) for _ in range(a.num)]
    except Exception as e:  # noqa: BLE001 - reported to the parent, which raises it
        ch.send(ERROR, f"could not start {a.env_id}: {type(e).__name__}: {e}".encode())
        sys.exit(2)

    num = a.num
    n_actions = int(envs[0].action_space.n)
    meta = {
        "envId": a.env_id,
        "actionMeanings": envs[0].unwrapped.get_action_meanings(),
        "versions": {p: version(p) for p in ("ale-py", "gymnasium", "numpy")},
    }
    ch.send(HELLO, struct.pack("<5i", num, n_actions, STACK, SIZE, SIZE), json.dumps(meta).encode())

    obs = np.zeros((num, STACK, SIZE, SIZE), dtype=np.uint8)
    rewards = np.zeros(num, dtype="<f4")
    terminated = np.zeros(num, dtype=np.uint8)
    truncated = np.zeros(num, dtype=np.uint8)
    seeded = False

    while True:
        msg = ch.receive()
        if msg is None or msg[0] == OP_CLOSE:
            break
        op, payload = msg
        try:
            if op == OP_RESET:
                for i, env in enumerate(envs):
                    o, _ = env.reset(seed=None if seeded else a.seed + i)
                    obs[i] = o
                seeded = True
                ch.send(RESET, obs.tobytes())
            elif op == OP_STEP:
                if not seeded:
                    raise RuntimeError("step before the first reset")
                actions = np.frombuffer(payload, dtype="<i4")
                if actions.shape != (num,):
                    raise ValueError(f"step: {actions.size} actions for {num} environments")
                ch.send(STEP, *step_envs(envs, actions, obs, rewards, terminated, truncated))
            else:
                raise ValueError(f"unknown command {op}")
        except BrokenPipeError:  # the parent went away while we were answering
            os._exit(0)
        except Exception as e:  # noqa: BLE001 - reported to the parent, which raises it
            ch.send(ERROR, f"{type(e).__name__}: {e}".encode())
            sys.exit(2)

    for env in envs:
        env.close()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # the parent went away while we were answering
        os._exit(0)

# The Python side of the step benchmarks: warm up, say "ready" (with `info`), then answer each
# `step K` line on stdin with K timed steps (wall and CPU seconds) as one JSON line, until `quit`.
import json, sys, time

import torch


def serve(step, warmup, info=None):
    for _ in range(warmup):
        step()
    print(json.dumps({'ready': True, 'threads': torch.get_num_threads(), 'torch': torch.__version__, **(info or {})}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == 'quit':
            break
        times, cpu = [], []
        for _ in range(int(cmd[1])):
            t0, c0 = time.perf_counter(), time.process_time()
            loss = step()
            loss.item()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        print(json.dumps({'times': times, 'cpu': cpu, 'loss': loss.item()}), flush=True)

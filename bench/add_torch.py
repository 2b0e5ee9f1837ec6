# Per-op overhead, PyTorch side: N `a + b` of 1-element float32 tensors.
# Prints one JSON line: { "add": wall µs/op, "addCpu": CPU µs/op, "threads": n }.
import argparse, json, time
import torch

p = argparse.ArgumentParser()
p.add_argument('--n', type=int, default=200000)
p.add_argument('--threads', type=int, default=1)
args = p.parse_args()
torch.set_num_threads(args.threads)

a = torch.tensor([1.5])
b = torch.tensor([2.5])

def run(n):
    for _ in range(n):
        c = a + b  # the previous result is freed by refcounting, like an explicit dispose

run(20000)
t0, c0 = time.perf_counter(), time.process_time()
run(args.n)
dt, dc = time.perf_counter() - t0, time.process_time() - c0
# addCpu: CPU time of the whole process (all threads), steadier than wall time on a busy machine.
print(json.dumps({'add': dt / args.n * 1e6, 'addCpu': dc / args.n * 1e6, 'threads': torch.get_num_threads()}))

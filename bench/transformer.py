# Transformer encoder training step, PyTorch side (driven by transformer.mjs).
# 4 post-norm layers, d_model 200, 8 heads, feed-forward 1000, dropout 0.1, relu;
# sequence 70, batch 60 (sequence first), causal mask; MSE to a fixed target,
# backward, plain SGD. Protocol as lstm_lm.py.
import argparse
import torch
import torch.nn as nn

from step_server import serve

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=2)
p.add_argument('--layers', type=int, default=4)
p.add_argument('--d', type=int, default=200)
p.add_argument('--heads', type=int, default=8)
p.add_argument('--ff', type=int, default=1000)
p.add_argument('--seq', type=int, default=70)
p.add_argument('--batch', type=int, default=60)
p.add_argument('--warmup', type=int, default=3)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

layer = nn.TransformerEncoderLayer(args.d, args.heads, args.ff, dropout=0.1)
model = nn.TransformerEncoder(layer, args.layers, enable_nested_tensor=False)
model.train()
x = torch.randn(args.seq, args.batch, args.d)
target = torch.randn(args.seq, args.batch, args.d)
mask = nn.Transformer.generate_square_subsequent_mask(args.seq)
lr = 0.01

def step():
    model.zero_grad()
    out = model(x, mask=mask, is_causal=True)
    loss = nn.functional.mse_loss(out, target)
    loss.backward()
    with torch.no_grad():
        for q in model.parameters():
            q.add_(q.grad, alpha=-lr)
    return loss

serve(step, args.warmup)

# LSTM language-model training step, PyTorch side (driven by lstm_lm.mjs).
# The model of pytorch/examples word_language_model (medium): embedding 10000->650,
# 2-layer LSTM 650 with dropout 0.5, linear 650->10000; batch 20 x 35 tokens,
# cross entropy, backward, clip_grad_norm_(0.25), plain SGD (p -= lr * grad).
# Protocol: prints {"ready": true}; then for each stdin line "run N" times N steps
# and prints {"times": [seconds per step...]}; "quit" ends.
import argparse, json, sys, time
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=2)
p.add_argument('--vocab', type=int, default=10000)
p.add_argument('--hidden', type=int, default=650)
p.add_argument('--layers', type=int, default=2)
p.add_argument('--bptt', type=int, default=35)
p.add_argument('--batch', type=int, default=20)
p.add_argument('--warmup', type=int, default=3)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

class RNNModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.encoder = nn.Embedding(args.vocab, args.hidden)
        self.rnn = nn.LSTM(args.hidden, args.hidden, args.layers, dropout=0.5)
        self.decoder = nn.Linear(args.hidden, args.vocab)
    def forward(self, x, hidden):
        emb = self.drop(self.encoder(x))
        out, hidden = self.rnn(emb, hidden)
        out = self.drop(out)
        return self.decoder(out).view(-1, args.vocab), hidden

model = RNNModel()
model.train()
crit = nn.CrossEntropyLoss()
lr = 20.0
data = torch.randint(0, args.vocab, (args.bptt, args.batch))
target = torch.randint(0, args.vocab, (args.bptt * args.batch,))
hidden = (torch.zeros(args.layers, args.batch, args.hidden), torch.zeros(args.layers, args.batch, args.hidden))

def step():
    global hidden
    hidden = tuple(h.detach() for h in hidden)
    model.zero_grad()
    out, hidden = model(data, hidden)
    loss = crit(out, target)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
    with torch.no_grad():
        for q in model.parameters():
            q.add_(q.grad, alpha=-lr)
    return loss

for _ in range(args.warmup):
    step()
print(json.dumps({'ready': True, 'threads': torch.get_num_threads(), 'torch': torch.__version__}), flush=True)
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

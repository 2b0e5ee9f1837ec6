# LSTM language-model training step, PyTorch side (driven by lstm_lm.mjs).
# LoT's PTB configuration: embedding 10000->650, 2-layer LSTM 650 with dropout 0.45 (between
# the layers and on its input and output), linear 650->10000 (not tied); batch 20 x 35 tokens,
# cross entropy, backward, clip_grad_norm_(0.2), torch.optim.SGD lr 30 momentum 0.3.
# Protocol: prints {"ready": true}; then for each stdin line "run N" times N steps
# and prints {"times": [seconds per step...]}; "quit" ends.
import argparse
import torch
import torch.nn as nn

from step_server import serve

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=1)
p.add_argument('--vocab', type=int, default=10000)
p.add_argument('--hidden', type=int, default=650)
p.add_argument('--layers', type=int, default=2)
p.add_argument('--bptt', type=int, default=35)
p.add_argument('--batch', type=int, default=20)
p.add_argument('--lr', type=float, default=30.0)
p.add_argument('--momentum', type=float, default=0.3)
p.add_argument('--clip', type=float, default=0.2)
p.add_argument('--dropout', type=float, default=0.45)
p.add_argument('--warmup', type=int, default=3)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

class RNNModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(args.dropout)
        self.encoder = nn.Embedding(args.vocab, args.hidden)
        self.rnn = nn.LSTM(args.hidden, args.hidden, args.layers, dropout=args.dropout)
        self.decoder = nn.Linear(args.hidden, args.vocab)
        with torch.no_grad():  # the reference's init (as LstmLm's)
            self.encoder.weight.uniform_(-0.05, 0.05)
            self.decoder.weight.uniform_(-0.05, 0.05)
            self.decoder.bias.zero_()
    def forward(self, x, hidden):
        emb = self.drop(self.encoder(x))
        out, hidden = self.rnn(emb, hidden)
        out = self.drop(out)
        return self.decoder(out).view(-1, args.vocab), hidden

model = RNNModel()
model.train()
crit = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
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
    torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
    optimizer.step()
    return loss

serve(step, args.warmup)

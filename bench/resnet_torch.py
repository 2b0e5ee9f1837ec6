# ResNet-20 training step, PyTorch side: the identical model and update as
# resnet_ours.mjs. --style functional (default): torch.nn.functional ops, plain
# tensors, hand-written SGD-momentum loop; --style module: nn.Module + torch.optim.SGD.
# --device cpu (default) | cuda | cuda:N: the model and batch live there, and the GPU is
# synchronized before each clock reading.
# Prints one JSON line: { imagesPerSecond, stepMs, threads, loss, device }.
import argparse, json, math, time
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=2)
p.add_argument('--batch', type=int, default=128)
p.add_argument('--steps', type=int, default=10)
p.add_argument('--warmup', type=int, default=3)
p.add_argument('--style', choices=['functional', 'module'], default='functional')
p.add_argument('--device', default='cpu')
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
lr, mom = 0.1, 0.9
dev = torch.device(args.device)


def sync():
    if dev.type == 'cuda':
        torch.cuda.synchronize(dev)


x = torch.randn(args.batch, 3, 32, 32, device=dev)
y = torch.randint(0, 10, (args.batch,), device=dev)

if args.style == 'functional':
    params, buffers = [], []

    def conv_w(cout, cin, k):
        w = (torch.randn(cout, cin, k, k, device=dev) * math.sqrt(2 / (cin * k * k))).requires_grad_()
        params.append(w)
        return w

    def bn(c):
        b = {'weight': torch.ones(c, device=dev, requires_grad=True), 'bias': torch.zeros(c, device=dev, requires_grad=True),
             'mean': torch.zeros(c, device=dev), 'var': torch.ones(c, device=dev)}
        params.extend([b['weight'], b['bias']])
        return b

    def bn_f(x, b):
        return F.batch_norm(x, b['mean'], b['var'], b['weight'], b['bias'], True, 0.1, 1e-5)

    stem = {'conv': conv_w(16, 3, 3), 'bn': bn(16)}
    blocks, cin = [], 16
    for width, stride0 in [(16, 1), (32, 2), (64, 2)]:
        for i in range(3):
            stride = stride0 if i == 0 else 1
            b = {'stride': stride, 'conv1': conv_w(width, cin, 3), 'bn1': bn(width), 'conv2': conv_w(width, width, 3), 'bn2': bn(width)}
            if stride != 1 or cin != width:
                b['short'] = {'conv': conv_w(width, cin, 1), 'bn': bn(width)}
            blocks.append(b)
            cin = width
    fc_w = (torch.randn(10, 64, device=dev) * math.sqrt(1 / 64)).requires_grad_()
    fc_b = torch.zeros(10, device=dev, requires_grad=True)
    params += [fc_w, fc_b]
    momentum = [torch.zeros_like(p) for p in params]

    def forward(x):
        h = F.relu(bn_f(F.conv2d(x, stem['conv'], None, 1, 1), stem['bn']))
        for b in blocks:
            o = F.relu(bn_f(F.conv2d(h, b['conv1'], None, b['stride'], 1), b['bn1']))
            o = bn_f(F.conv2d(o, b['conv2'], None, 1, 1), b['bn2'])
            s = bn_f(F.conv2d(h, b['short']['conv'], None, b['stride']), b['short']['bn']) if 'short' in b else h
            h = F.relu(o + s)
        return F.linear(F.adaptive_avg_pool2d(h, 1).flatten(1), fc_w, fc_b)

    def step():
        loss = F.cross_entropy(forward(x), y)
        loss.backward()
        with torch.no_grad():
            for p, m in zip(params, momentum):
                m.mul_(mom).add_(p.grad)
                p.add_(m, alpha=-lr)
                p.grad = None
        return loss.item()
else:
    class Block(nn.Module):
        def __init__(self, cin, width, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, width, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(width)
            self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(width)
            self.short = None
            if stride != 1 or cin != width:
                self.short = nn.Sequential(nn.Conv2d(cin, width, 1, stride, bias=False), nn.BatchNorm2d(width))

        def forward(self, h):
            o = F.relu(self.bn1(self.conv1(h)))
            o = self.bn2(self.conv2(o))
            return F.relu(o + (self.short(h) if self.short is not None else h))

    class ResNet20(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
            self.bn = nn.BatchNorm2d(16)
            layers, cin = [], 16
            for width, stride0 in [(16, 1), (32, 2), (64, 2)]:
                for i in range(3):
                    layers.append(Block(cin, width, stride0 if i == 0 else 1))
                    cin = width
            self.layers = nn.Sequential(*layers)
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            h = self.layers(F.relu(self.bn(self.conv(x))))
            return self.fc(F.adaptive_avg_pool2d(h, 1).flatten(1))

    model = ResNet20().to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=mom)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

for _ in range(args.warmup):
    step()
sync()
t0 = time.perf_counter()
for _ in range(args.steps):
    loss = step()
sync()
dt = time.perf_counter() - t0
print(json.dumps({'imagesPerSecond': args.steps * args.batch / dt, 'stepMs': dt / args.steps * 1e3,
                  'threads': torch.get_num_threads(), 'loss': loss, 'style': args.style, 'device': str(dev)}))

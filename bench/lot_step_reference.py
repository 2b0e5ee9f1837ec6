# LoT training step, PyTorch side (driven by lot_step.mjs): the step as the reference
# implementation (github.com/jincan333/LoT, trainer/image_classification.py) does it:
# log_softmax of both models, kl_div_logits(p, q, T) = KLDivLoss(batchmean, log_target)
# (log_softmax(p/T), log_softmax(q/T)) * T * T, the two losses, two backward calls, both
# optimizers step; then N-1 student-only steps on the next batches of a separate cursor,
# the teacher's forward building a graph and updating BatchNorm statistics (train mode)
# as the reference does. Teacher-only: forward, cross entropy, backward, step.
# Models: the classic bearpaw PreResNet (the reference's); SGD nesterov, momentum 0.9,
# weight decay 1e-4. Batches are preloaded tensors on both sides (no data loading timed).
# Protocol: prints {"ready": ...}; for each stdin line "lot K" or "teacher K" times K
# steps and prints {"times": [seconds per step...]}; "quit" ends.
# --device cuda puts the models and batches on the GPU and synchronizes it around each step.
import argparse, json, math, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=2)
p.add_argument('--batch', type=int, default=128)
p.add_argument('--size', type=int, default=32)
p.add_argument('--channels', type=int, default=3)
p.add_argument('--classes', type=int, default=10)
p.add_argument('--depth', type=int, default=20)
p.add_argument('--n', type=int, default=2)
p.add_argument('--alpha', type=float, default=0.5)
p.add_argument('--tau', type=float, default=1.5)
p.add_argument('--lr', type=float, default=0.05)
p.add_argument('--pool', type=int, default=8)
p.add_argument('--warmup', type=int, default=2)
p.add_argument('--device', default='cpu')
args = p.parse_args()
torch.set_num_threads(args.threads)
dev = torch.device(args.device)


def sync():
    if dev.type == 'cuda':
        torch.cuda.synchronize(dev)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.downsample = downsample

    def forward(self, x):
        residual = x
        out = self.conv1(self.relu(self.bn1(x)))
        out = self.conv2(self.relu(self.bn2(out)))
        if self.downsample is not None:
            residual = self.downsample(x)
        out += residual
        return out


class PreResNet(nn.Module):
    def __init__(self, depth, num_classes, in_channels):
        super().__init__()
        n = (depth - 2) // 6
        block = BasicBlock
        self.inplanes = 16
        self.conv1 = nn.Conv2d(in_channels, 16, 3, padding=1, bias=False)
        self.layer1 = self._make_layer(block, 16, n)
        self.layer2 = self._make_layer(block, 32, n, 2)
        self.layer3 = self._make_layer(block, 64, n, 2)
        self.bn = nn.BatchNorm2d(64 * block.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # AvgPool2d(8) at 32x32; also works at 28x28
        self.fc = nn.Linear(64 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                k = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.data.normal_(0, math.sqrt(2. / k))
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.conv1(x))))
        x = self.avgpool(self.relu(self.bn(x)))
        return self.fc(x.view(x.size(0), -1))


def kl_div_logits(p, q, T):
    loss_func = nn.KLDivLoss(reduction='batchmean', log_target=True)
    return loss_func(F.log_softmax(p / T, dim=-1), F.log_softmax(q / T, dim=-1)) * T * T


def make(seed):
    torch.manual_seed(seed)
    m = PreResNet(args.depth, args.classes, args.channels).to(dev).train()
    opt = torch.optim.SGD(m.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=1e-4)
    return m, opt


teacher, t_opt = make(0)
student, s_opt = make(1)
lone, l_opt = make(0)  # the teacher-only run's model
torch.manual_seed(2)
pool = [(torch.randn(args.batch, args.channels, args.size, args.size, device=dev), torch.randint(0, args.classes, (args.batch,), device=dev))
        for _ in range(args.pool)]
state = {'i': 0, 'cursor': 0}


def next_batch():
    b = pool[state['i'] % len(pool)]
    state['i'] += 1
    return b


def lot_step():
    inputs, targets = next_batch()
    t_opt.zero_grad()
    s_opt.zero_grad()
    teacher_pred = F.log_softmax(teacher(inputs), dim=-1)
    student_pred = F.log_softmax(student(inputs), dim=-1)
    teacher_loss = F.cross_entropy(teacher_pred, targets) + args.alpha * kl_div_logits(teacher_pred, student_pred.detach(), args.tau)
    student_loss = F.cross_entropy(student_pred, targets) + args.alpha * kl_div_logits(student_pred, teacher_pred.detach(), args.tau)
    teacher_loss.backward()
    student_loss.backward()
    t_opt.step()
    s_opt.step()
    correct = teacher_pred.max(1)[1].eq(targets).sum().item() + student_pred.max(1)[1].eq(targets).sum().item()
    loss = teacher_loss.item()
    for _ in range(args.n - 1):
        s_inputs, s_targets = pool[state['cursor'] % len(pool)]
        state['cursor'] = (state['cursor'] + 1) % len(pool)
        teacher_pred = F.log_softmax(teacher(s_inputs), dim=-1)
        student_pred = F.log_softmax(student(s_inputs), dim=-1)
        student_loss = F.cross_entropy(student_pred, s_targets) + args.alpha * kl_div_logits(student_pred, teacher_pred.detach(), args.tau)
        s_opt.zero_grad()
        student_loss.backward()
        s_opt.step()
        student_loss.item()
    return loss


def teacher_step():
    inputs, targets = next_batch()
    l_opt.zero_grad()
    logits = lone(inputs)
    loss = F.cross_entropy(logits, targets)
    loss.backward()
    l_opt.step()
    logits.max(1)[1].eq(targets).sum().item()
    return loss.item()


steps = {'lot': lot_step, 'teacher': teacher_step}
for _ in range(args.warmup):
    lot_step()
    teacher_step()
print(json.dumps({'ready': True, 'threads': torch.get_num_threads(), 'torch': torch.__version__, 'device': str(dev)}), flush=True)
for line in sys.stdin:
    cmd = line.split()
    if not cmd or cmd[0] == 'quit':
        break
    fn = steps[cmd[0]]
    times = []
    sync()
    for _ in range(int(cmd[1])):
        t0 = time.perf_counter()
        loss = fn()
        sync()
        times.append(time.perf_counter() - t0)
    print(json.dumps({'times': times, 'loss': loss}), flush=True)

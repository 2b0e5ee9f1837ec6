# Transformer-XL language-model training step, PyTorch side (driven by transformer_xl.mjs).
# PTB configuration of LoT: 4 layers, d_model 200, 8 heads x 20, d_inner 1000, dropout 0.25,
# dropatt 0, segment = memory = 70, batch 60, vocab 10,000; cross entropy over the full softmax
# of the tied output (own bias), backward, clip_grad_norm_(0.35), Adam 1e-3; memories carried
# (detached) from step to step.
#
# The model is a compact plain-PyTorch MemTransformerLM (attn_type 0: relative partial-learnable
# attention with u/v biases and the rel-shift, post-LayerNorm, tied weights, div_val 1, no
# cutoffs, ext_len 0), with the reference's parameter names (packages/lot/src/tasks/lm/
# TRANSFORMER-XL.md), so our state dict loads into it with strict=True.
#   --style reference (default): the reference's computation: q, k, v projected over
#       cat(mem, h) (q rows of the memory dropped), einsums in [q, k, batch, head] layout,
#       rel-shift by cat(zero column) + view, scores masked in float32, softmax over keys (dim 1).
#   --style ours: the layout of our TransformerXL ([batch, head, q, k] matmuls, q projected
#       only for the segment's rows), to compare engines on the same sequence of ops.
#   --ref PATH: instead, the original MemTransformerLM from a checkout of github.com/jincan333/LoT
#       (not committed here; see packages/lot/test/fixtures/transformer-xl/make_fixture.py).
# Protocol: prints {"ready": true, ...}; then for each stdin line "run N" times N steps and
# prints {"times": [...], "cpu": [...], "loss": x}; "quit" ends.
import argparse, math, os, sys
import torch
import torch.nn as nn
import torch.nn.functional as F

from step_server import serve

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=1)
p.add_argument('--vocab', type=int, default=10000)
p.add_argument('--layers', type=int, default=4)
p.add_argument('--d-model', type=int, default=200)
p.add_argument('--heads', type=int, default=8)
p.add_argument('--d-head', type=int, default=20)
p.add_argument('--d-inner', type=int, default=1000)
p.add_argument('--dropout', type=float, default=0.25)
p.add_argument('--dropatt', type=float, default=0.0)
p.add_argument('--segment', type=int, default=70)
p.add_argument('--mem-len', type=int, default=70)
p.add_argument('--batch', type=int, default=60)
p.add_argument('--lr', type=float, default=1e-3)
p.add_argument('--clip', type=float, default=0.35)
p.add_argument('--style', choices=['reference', 'ours'], default='reference')
p.add_argument('--ref', default=None, help='path of a jincan333/LoT checkout: use its MemTransformerLM')
p.add_argument('--load', default=None, help='state dict (.pt) to load with strict=True (checks)')
p.add_argument('--warmup', type=int, default=3)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
INIT_STD = 0.02


class PositionalEmbedding(nn.Module):
    def __init__(self, demb):
        super().__init__()
        self.register_buffer('inv_freq', 1 / (10000 ** (torch.arange(0.0, demb, 2.0) / demb)))

    def forward(self, pos_seq):
        inp = torch.outer(pos_seq, self.inv_freq)
        return torch.cat([inp.sin(), inp.cos()], dim=-1)  # [klen, d]


class PositionwiseFF(nn.Module):
    def __init__(self, d, d_inner, dropout):
        super().__init__()
        self.CoreNet = nn.Sequential(nn.Linear(d, d_inner), nn.ReLU(inplace=True), nn.Dropout(dropout),
                                     nn.Linear(d_inner, d), nn.Dropout(dropout))
        self.layer_norm = nn.LayerNorm(d)

    def forward(self, x):
        return self.layer_norm(x + self.CoreNet(x))


class RelPartialLearnableMultiHeadAttn(nn.Module):
    def __init__(self, n_head, d_model, d_head, dropout, dropatt):
        super().__init__()
        self.n_head, self.d_head, self.scale = n_head, d_head, 1 / math.sqrt(d_head)
        self.qkv_net = nn.Linear(d_model, 3 * n_head * d_head, bias=False)
        self.drop = nn.Dropout(dropout)
        self.dropatt = nn.Dropout(dropatt)
        self.o_net = nn.Linear(n_head * d_head, d_model, bias=False)
        self.layer_norm = nn.LayerNorm(d_model)
        self.r_net = nn.Linear(d_model, n_head * d_head, bias=False)

    def forward(self, w, r, r_w_bias, r_r_bias, mask, mem):
        return (self._reference if args.style == 'reference' else self._ours)(w, r, r_w_bias, r_r_bias, mask, mem)

    def _reference(self, w, r, r_w_bias, r_r_bias, mask, mem):
        qlen, bsz = w.shape[:2]
        H, D = self.n_head, self.d_head
        cat = torch.cat([mem, w], 0) if mem is not None and mem.shape[0] > 0 else w
        q, k, v = torch.chunk(self.qkv_net(cat), 3, dim=-1)
        q = q[-qlen:]
        klen = k.shape[0]
        q = q.view(qlen, bsz, H, D)
        k = k.view(klen, bsz, H, D)
        v = v.view(klen, bsz, H, D)
        rk = self.r_net(r).view(klen, H, D)
        ac = torch.einsum('ibnd,jbnd->ijbn', q + r_w_bias, k)
        bd = torch.einsum('ibnd,jnd->ijbn', q + r_r_bias, rk)
        # rel-shift: a zero column in front, read [q, k+1] as [k+1, q], drop the first row.
        pad = torch.zeros((bd.shape[0], 1, *bd.shape[2:]), dtype=bd.dtype)
        bd = torch.cat([pad, bd], 1).view(bd.shape[1] + 1, bd.shape[0], *bd.shape[2:])[1:].view_as(bd)
        score = (ac + bd).mul_(self.scale)
        score = score.float().masked_fill(mask[:, :, None, None], -float('inf')).type_as(score)
        prob = self.dropatt(F.softmax(score, dim=1))
        vec = torch.einsum('ijbn,jbnd->ibnd', prob, v).contiguous().view(qlen, bsz, H * D)
        return self.layer_norm(w + self.drop(self.o_net(vec)))

    def _ours(self, w, r, r_w_bias, r_r_bias, mask, mem):
        qlen, bsz, d = w.shape
        H, D = self.n_head, self.d_head
        HD = H * D
        cat = torch.cat([mem, w], 0) if mem is not None and mem.shape[0] > 0 else w
        klen = cat.shape[0]
        wq, wk, wv = self.qkv_net.weight.split(HD, 0)
        q = F.linear(w, wq).view(qlen, bsz, H, D).permute(1, 2, 0, 3)
        k = F.linear(cat, wk).view(klen, bsz, H, D).permute(1, 2, 3, 0)
        v = F.linear(cat, wv).view(klen, bsz, H, D).permute(1, 2, 0, 3)
        rk = self.r_net(r).view(klen, H, D).permute(1, 2, 0)
        ac = (q + r_w_bias.view(H, 1, D)).matmul(k)
        bd = torch.einsum('bhid,hdj->bhij', q + r_r_bias.view(H, 1, D), rk)
        lead = bd.shape[:-2]
        bd = F.pad(bd, [1, 0]).view(*lead, klen + 1, qlen).narrow(-2, 1, klen).view(*lead, qlen, klen)
        score = (ac + bd).mul(self.scale).masked_fill(mask, -float('inf'))
        prob = self.dropatt(score.softmax(-1))
        out = prob.matmul(v).permute(2, 0, 1, 3).contiguous().view(qlen, bsz, HD)
        return self.layer_norm(w + self.drop(self.o_net(out)))


class DecoderLayer(nn.Module):
    def __init__(self, *a):
        super().__init__()
        self.dec_attn = RelPartialLearnableMultiHeadAttn(*a)
        self.pos_ff = PositionwiseFF(a[1], args.d_inner, a[3])

    def forward(self, h, pos, u, v, mask, mem):
        return self.pos_ff(self.dec_attn(h, pos, u, v, mask, mem))


class AdaptiveEmbedding(nn.Module):
    def __init__(self, n_token, d):
        super().__init__()
        self.emb_layers = nn.ModuleList([nn.Embedding(n_token, d)])
        self.emb_projs = nn.ParameterList()
        self.scale = d ** 0.5

    def forward(self, x):
        return self.emb_layers[0](x).mul(self.scale)


class Crit(nn.Module):
    """ProjectedAdaptiveLogSoftmax without clusters: one tied output layer with its own bias."""

    def __init__(self, n_token, d):
        super().__init__()
        self.out_layers = nn.ModuleList([nn.Linear(d, n_token)])
        self.out_projs = nn.ParameterList()


class MemTransformerLM(nn.Module):
    def __init__(self, n_token, n_layer, n_head, d_model, d_head, d_inner, dropout, dropatt, mem_len):
        super().__init__()
        self.mem_len, self.n_layer, self.d_model = mem_len, n_layer, d_model
        self.word_emb = AdaptiveEmbedding(n_token, d_model)
        self.drop = nn.Dropout(dropout)
        self.layers = nn.ModuleList([DecoderLayer(n_head, d_model, d_head, dropout, dropatt) for _ in range(n_layer)])
        self.crit = Crit(n_token, d_model)
        self.crit.out_layers[0].weight = self.word_emb.emb_layers[0].weight
        self.pos_emb = PositionalEmbedding(d_model)
        self.r_w_bias = nn.Parameter(torch.empty(n_head, d_head))
        self.r_r_bias = nn.Parameter(torch.empty(n_head, d_head))
        with torch.no_grad():  # the reference's weights_init (init 'normal', init_std 0.02)
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    m.weight.normal_(0, INIT_STD)
                    if m.bias is not None:
                        m.bias.zero_()
                elif isinstance(m, nn.LayerNorm):
                    m.weight.normal_(1, INIT_STD)
                    m.bias.zero_()
            self.word_emb.emb_layers[0].weight.normal_(0, INIT_STD)
            self.r_w_bias.normal_(0, INIT_STD)
            self.r_r_bias.normal_(0, INIT_STD)

    def init_mems(self, bsz):
        return [torch.empty(0, bsz, self.d_model) for _ in range(self.n_layer + 1)]

    def forward(self, data, target, *mems):
        """As MemTransformerLM: per-token loss and the new memories; here the mean cross entropy."""
        qlen, bsz = data.shape
        mlen = mems[0].shape[0] if mems else 0
        klen = mlen + qlen
        mask = torch.triu(torch.ones(qlen, klen, dtype=torch.bool), diagonal=1 + mlen)
        pos = self.drop(self.pos_emb(torch.arange(klen - 1, -1, -1.0)))
        core = self.drop(self.word_emb(data))
        hids = [core]
        for i, layer in enumerate(self.layers):
            core = layer(core, pos, self.r_w_bias, self.r_r_bias, mask, mems[i] if mems else None)
            hids.append(core)
        core = self.drop(core)
        with torch.no_grad():
            end = mlen + qlen
            beg = max(0, end - self.mem_len)
            new_mems = [torch.cat([m, h], 0)[beg:end].detach() if mems else h[beg:end].detach()
                        for m, h in zip(mems or [None] * len(hids), hids)]
        out = self.crit.out_layers[0]
        logits = F.linear(core.view(-1, self.d_model), out.weight, out.bias)
        return [F.cross_entropy(logits, target.view(-1))] + new_mems


def import_reference(checkout):
    sys.path.insert(0, os.path.abspath(checkout))
    cuda = torch.version.cuda
    if cuda is None:
        torch.version.cuda = '0.0'  # read at import by utils/proj_adaptive_softmax.py
    try:
        from model.mem_transformer import MemTransformerLM as Ref
    finally:
        torch.version.cuda = cuda
    return Ref


if args.ref:
    Ref = import_reference(args.ref)
    model = Ref(args.vocab, args.layers, args.heads, args.d_model, args.d_head, args.d_inner, args.dropout, args.dropatt,
                tie_weight=True, d_embed=None, div_val=1, tie_projs=[False], pre_lnorm=False, tgt_len=args.segment,
                ext_len=0, mem_len=args.mem_len, cutoffs=[], same_length=False, attn_type=0, clamp_len=-1,
                sample_softmax=-1)
    # Its weights_init lives in train.py; the initialization does not change the step's cost.
else:
    model = MemTransformerLM(args.vocab, args.layers, args.heads, args.d_model, args.d_head, args.d_inner,
                             args.dropout, args.dropatt, args.mem_len)
if args.load:
    model.load_state_dict(torch.load(args.load), strict=True)
model.train()
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
data = torch.randint(0, args.vocab, (args.segment, args.batch))
target = torch.randint(0, args.vocab, (args.segment, args.batch))
mems = tuple(model.init_mems(args.batch) if not args.ref else model.init_mems())


def step():
    global mems
    model.zero_grad()
    ret = model(data, target, *mems)
    if args.ref:
        ret = ret[0]  # LoT's MemTransformerLM returns ([loss] + new_mems, logits)
    loss, mems = ret[0], tuple(ret[1:])
    loss = loss.float().mean()  # the reference's crit returns per-token losses; ours already the mean
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
    optimizer.step()
    return loss


if __name__ == '__main__':
    n_params = sum(q.numel() for q in model.parameters())
    serve(step, args.warmup, {'params': n_params, 'style': 'original' if args.ref else args.style})

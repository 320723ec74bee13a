"""Several seeds of one model in one process: parameters stacked along a leading seed axis, batched matmuls.

A measurement, not a library feature: `benchmarks/run.py` compares one stacked step over S seeds with S
factdyn steps run one after another (the decision rule: land it only at >= 1.3x). The stacked model computes,
per seed, exactly the function of `factdyn.model.Transformer` (fused path, same initialisation) on that seed's
own batch; batches of the S seeds are padded to their longest."""
from __future__ import annotations
import torch
import torch.nn.functional as F
from factdyn.model import Transformer, rms_normalize, linear_cross_entropy
from factdyn.train import TrainConfig


class StackedTransformer(torch.nn.Module):
    "S independent copies of a `Transformer` (one per initialisation seed), parameters stacked as [S, ...]."
    def __init__(self, mc, seeds):
        super().__init__()
        models = [Transformer(mc, torch.Generator().manual_seed(s)) for s in seeds]
        self.cfg, self.S = mc, len(seeds)
        names = [n for n, _ in models[0].named_parameters()]
        self.names = [n.replace('.', '__') for n in names]
        for n, k in zip(names, self.names):
            self.register_parameter(k, torch.nn.Parameter(torch.stack([dict(m.named_parameters())[n].detach() for m in models])))

    def p(self, name): return getattr(self, name.replace('.', '__'))

    def loss(self, idx, targets):
        "Sum over seeds of each seed's mean next-token loss (gradients stay per seed). idx, targets: [S, B, T]."
        S, B, T = idx.shape
        c, H = self.cfg, self.cfg.n_head
        V, d = c.vocab_size, c.d_model
        off = (torch.arange(S) * V)[:, None, None]
        x = F.embedding(idx + off, self.p('tok_emb.weight').reshape(S * V, d)) + self.p('pos_emb.weight')[:, None, :T]
        x = x.reshape(S, B * T, d)
        for l in range(c.n_layer):
            g1, g2 = self.p(f'blocks.{l}.ln1.weight'), self.p(f'blocks.{l}.ln2.weight')
            Wqkv = self.p(f'blocks.{l}.attn.qkv.weight') * g1[:, None, :]
            qkv = torch.bmm(rms_normalize(x), Wqkv.transpose(1, 2))                     # [S, BT, 3d]
            q, k, v = qkv.view(S * B, T, 3, H, d // H).permute(2, 0, 3, 1, 4)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(S, B * T, d)
            x = x + torch.bmm(y, self.p(f'blocks.{l}.attn.proj.weight').transpose(1, 2))
            Wfc = self.p(f'blocks.{l}.mlp.fc.weight') * g2[:, None, :]
            h = F.gelu(torch.bmm(rms_normalize(x), Wfc.transpose(1, 2)))
            x = x + torch.bmm(h, self.p(f'blocks.{l}.mlp.proj.weight').transpose(1, 2))
        h = rms_normalize(x)
        W = self.p('tok_emb.weight') * self.p('ln_f.weight')[:, None, :]
        return sum(linear_cross_entropy(h[s], W[s], targets[s].flatten()) for s in range(S))


def make_stacked_step(model: StackedTransformer, tc: TrainConfig):
    "One AdamW update of every seed (per-seed gradient clipping, the same hyperparameters as `make_optimizer`)."
    ps = list(model.parameters())
    decay = [p for p in ps if p.dim() >= 3]
    no_decay = [p for p in ps if p.dim() < 3]
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=tc.weight_decay), dict(params=no_decay, weight_decay=0.0)],
                            lr=tc.lr, betas=(tc.beta1, tc.beta2), fused=True)
    def step(idx, targets, lr):
        for g in opt.param_groups: g['lr'] = lr
        loss = model.loss(idx, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if tc.grad_clip:                                   # clip each seed's gradient norm separately
            sq = torch.stack([p.grad.flatten(1).square().sum(1) for p in ps]).sum(0)
            coef = (tc.grad_clip / (sq.sqrt() + 1e-6)).clamp(max=1.0)
            for p in ps: p.grad.mul_(coef.view(-1, *[1] * (p.dim() - 1)))
        opt.step()
        return loss.detach()
    return step


def stack_batches(batches):
    "Pad the [B, T_s] inputs / targets of S seeds to a common T: [S, B, T] (padding targets = -1)."
    T = max(x.shape[1] for x, _ in batches)
    xs = torch.stack([F.pad(x, (0, T - x.shape[1])) for x, _ in batches])
    ys = torch.stack([F.pad(y, (0, T - y.shape[1]), value=-1) for _, y in batches])
    return xs, ys


def make_vmap_step(mc, seeds, tc: TrainConfig):
    "The same S-seed update through `torch.func`: `vmap(grad(loss))` over stacked copies of the model's parameters."
    import copy
    from torch.func import functional_call, vmap, grad_and_value, stack_module_state
    models = [Transformer(mc, torch.Generator().manual_seed(s)) for s in seeds]
    params, _ = stack_module_state(models)
    base = copy.deepcopy(models[0]).to('meta')
    def loss_fn(p, x, y):
        return F.cross_entropy(functional_call(base, p, (x,)).flatten(0, 1), y.flatten(), ignore_index=-1)
    gv = vmap(grad_and_value(loss_fn))
    ps = list(params.values())
    opt = torch.optim.AdamW([dict(params=[p for p in ps if p.dim() >= 3], weight_decay=tc.weight_decay),
                             dict(params=[p for p in ps if p.dim() < 3], weight_decay=0.0)],
                            lr=tc.lr, betas=(tc.beta1, tc.beta2), fused=True)
    def step(idx, targets, lr):
        for g in opt.param_groups: g['lr'] = lr
        grads, loss = gv(params, idx, targets)
        for k, p in params.items(): p.grad = grads[k]
        if tc.grad_clip:
            sq = torch.stack([p.grad.flatten(1).square().sum(1) for p in ps]).sum(0)
            coef = (tc.grad_clip / (sq.sqrt() + 1e-6)).clamp(max=1.0)
            for p in ps: p.grad.mul_(coef.view(-1, *[1] * (p.dim() - 1)))
        opt.step()
        return loss.sum().detach()
    return step

"""PyTorch eager peers of SaeTopKStepBenchmark and SaePaperToyStepBenchmark, timed on the same machine.

TopK step (SAELens/sparsify style, dense decode): d_in 512, d_sae 16,384, k 32, batch 4,096, Adam.
paper-toy step: the paper's ToySAE + train_sae loss at d_in 32, d_sae 64, k 7, batch 1,024, AdamW.
Run: /usr/bin/python3 tools/SaeAlign.Bench/python/sae_topk_step.py
"""
import time

import torch
from torch.nn import functional as F


def best_of(step, repeats):
    step()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    return best


def topk_step_timer():
    d_in, d_sae, k, batch = 512, 16384, 32, 4096
    g = torch.Generator().manual_seed(0)
    w_dec = torch.randn(d_sae, d_in, generator=g)
    w_dec = torch.nn.Parameter(w_dec / w_dec.norm(dim=1, keepdim=True))
    w_enc = torch.nn.Parameter(w_dec.detach().T.clone())
    b_enc = torch.nn.Parameter(torch.zeros(d_sae))
    b_dec = torch.nn.Parameter(torch.zeros(d_in))
    opt = torch.optim.Adam([w_enc, w_dec, b_enc, b_dec], lr=2e-4)
    x = torch.randn(batch, d_in, generator=g)

    def step():
        pre = (x - b_dec) @ w_enc + b_enc
        top = pre.topk(k, dim=-1)
        codes = torch.zeros_like(pre).scatter(-1, top.indices, top.values.relu())
        out = codes @ w_dec + b_dec
        loss = (out - x).pow(2).sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()

    return step


def paper_step_timer():
    torch.manual_seed(0)
    w_enc = torch.nn.Parameter(torch.nn.init.xavier_normal_(torch.empty(32, 64)))
    w_dec = torch.nn.Parameter(torch.nn.init.xavier_normal_(torch.empty(64, 32)))
    b_enc = torch.nn.Parameter(torch.zeros(64))
    b_dec = torch.nn.Parameter(torch.zeros(32))
    opt = torch.optim.AdamW([w_enc, w_dec, b_enc, b_dec], lr=1e-3)
    x = torch.randn(1024, 32).relu()

    def step():
        pre = x @ w_enc + b_enc
        hidden = F.relu(pre)
        top = hidden.topk(7, dim=-1)
        hidden = torch.zeros_like(hidden).scatter(-1, top.indices, top.values.relu())
        out = hidden @ w_dec + b_dec
        dead = ((hidden > 0).sum(0) == 0).float().detach()
        dead_recon = (dead * pre) @ w_dec + b_dec
        loss = ((x - out) ** 2).mean() + (0.1 * (dead_recon - (x - out)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()

    return step


def main():
    torch.set_num_threads(2)
    print(f"pytorch {torch.__version__} threads={torch.get_num_threads()}")
    print(f"topk step (dense decode), d_in 512, d_sae 16384, k 32, batch 4096: {best_of(topk_step_timer(), 3) * 1e3:.1f} ms")
    print(f"paper-toy step, d_in 32, d_sae 64, k 7, batch 1024: {best_of(paper_step_timer(), 200) * 1e3:.3f} ms")


if __name__ == "__main__":
    main()

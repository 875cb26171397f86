"""Reference values for SaeAlign's paper-toy SAE: the paper's ToySAE and train_sae loop
(cest-andre/align-interp, toy_models.py) on a tiny deterministic input, printed as C# arrays.

Run: /usr/bin/python3 tools/SaeAlign.Bench/python/sae_paper_reference.py
The output is pasted into tests/SaeAlign.Sae.Tests/PaperToySaeTests.cs.
"""
import torch
from torch import nn
from torch.nn import functional as F

D_IN, D_SAE, K, BATCH, ROWS, AUX_ALPHA = 4, 8, 2, 4, 10, 1e-1


class ToySAE(nn.Module):
    def __init__(self, n_inputs, n_hidden, topk):
        super().__init__()
        self.topk = topk
        self.W_enc = nn.Parameter(torch.empty((n_inputs, n_hidden)))
        self.W_dec = nn.Parameter(torch.empty((n_hidden, n_inputs)))
        nn.init.xavier_normal_(self.W_enc)
        nn.init.xavier_normal_(self.W_dec)
        self.b_enc = nn.Parameter(torch.zeros(n_hidden))
        self.b_dec = nn.Parameter(torch.zeros(n_inputs))

    def forward(self, x):
        hidden = (x @ self.W_enc) + self.b_enc
        preact_feats = hidden
        hidden = F.relu(hidden)
        topk_res = torch.topk(hidden, k=self.topk, dim=-1)
        values = nn.ReLU()(topk_res.values)
        hidden = torch.zeros_like(hidden)
        hidden.scatter_(-1, topk_res.indices, values)
        out = (hidden @ self.W_dec) + self.b_dec
        is_dead = ((hidden > 0).sum(dim=0) == 0).float().detach()
        auxk_acts = is_dead * preact_feats
        deadk_res = torch.topk(auxk_acts, k=D_SAE, dim=-1)
        top_dead_acts = torch.zeros_like(auxk_acts)
        top_dead_acts.scatter_(-1, deadk_res.indices, deadk_res.values)
        dead_recon = (top_dead_acts @ self.W_dec) + self.b_dec
        return out, hidden, dead_recon


def data():
    """Rows i, columns j: a fixed, sign-mixed pattern (no generator involved)."""
    i = torch.arange(ROWS, dtype=torch.float32).unsqueeze(1)
    j = torch.arange(D_IN, dtype=torch.float32).unsqueeze(0)
    return torch.sin(1.3 * i + 0.7 * j) + 0.1 * j


def main():
    torch.manual_seed(0)
    sae = ToySAE(D_IN, D_SAE, K)
    opt = torch.optim.AdamW(list(sae.parameters()), lr=1e-3)
    x = data()[: int(ROWS * 0.8)]
    for start in range(0, x.shape[0], BATCH):
        batch = x[start:start + BATCH]
        opt.zero_grad(set_to_none=True)
        out, latents, dead_recon = sae(batch)
        loss = ((batch - out) ** 2).mean() + (AUX_ALPHA * (dead_recon - (batch - out)) ** 2).mean()
        loss.backward()
        opt.step()
    for name in ("W_enc", "W_dec", "b_enc", "b_dec"):
        values = getattr(sae, name).detach().flatten().tolist()
        print(f"{name} = [{', '.join(f'{v:.8e}f' for v in values)}]")


if __name__ == "__main__":
    main()

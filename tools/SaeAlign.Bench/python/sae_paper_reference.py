"""Reference values for SaeAlign's paper-toy SAE: the paper's ToySAE and train_sae loop
(cest-andre/align-interp, toy_models.py) on a tiny deterministic input, printed as C# arrays.

Run: /usr/bin/python3 tools/SaeAlign.Bench/python/sae_paper_reference.py
The output is pasted into tests/SaeAlign.Sae.Tests/PaperToySaeTests.cs.
"""
import torch

from paper_models import ToySAE

D_IN, D_SAE, K, BATCH, ROWS, AUX_ALPHA = 4, 8, 2, 4, 10, 1e-1


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
        out, latents, _, dead_recon = sae(batch).values()
        loss = ((batch - out) ** 2).mean() + (AUX_ALPHA * (dead_recon - (batch - out)) ** 2).mean()
        loss.backward()
        opt.step()
    for name in ("W_enc", "W_dec", "b_enc", "b_dec"):
        values = getattr(sae, name).detach().flatten().tolist()
        print(f"{name} = [{', '.join(f'{v:.8e}f' for v in values)}]")


if __name__ == "__main__":
    main()

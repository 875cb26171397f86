"""PyTorch eager peer of ToyTrainingBenchmark: the paper's toy training loop (cest-andre/align-interp,
toy_models.py train_model) for paper-64x32 at batch 1024, timed on the same machine.

Run: /usr/bin/python3 tools/SaeAlign.Bench/python/toy_training.py   (Debian: apt-get install python3-torch)
Prints milliseconds per training step for one model and for the paper's pair (trained one after the other).
"""
import time

import torch
from torch import nn
from torch.nn import functional as F

N_FEATURES, N_HIDDEN, BATCH, STEPS, P = 64, 32, 1024, 500, 0.1


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(torch.empty((N_FEATURES, N_HIDDEN)))
        nn.init.xavier_normal_(self.W)
        self.b_final = nn.Parameter(torch.zeros(N_FEATURES))
        self.importance = torch.pow(1 + 2 * torch.arange(N_FEATURES) / N_FEATURES, -2.0)

    def forward(self, x):
        hidden = F.relu(x @ self.W)
        return F.relu(hidden @ self.W.T + self.b_final)


def batch(generator):
    feat = torch.rand((BATCH, N_FEATURES), generator=generator)
    return torch.where(torch.rand((BATCH, N_FEATURES), generator=generator) <= P, feat, torch.zeros(()))


def train(seed, steps):
    torch.manual_seed(seed)
    model = Model()
    opt = torch.optim.AdamW(list(model.parameters()), lr=1e-3)
    generator = torch.Generator().manual_seed(1234)
    for _ in range(steps):
        x = batch(generator)
        loss = (model.importance * (x - model(x)) ** 2).mean()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss.item()  # the loop reads the loss every step, as SaeAlign does (NaN check, curve)


def main():
    torch.set_num_threads(2)
    train(0, 50)  # warm-up
    for models in (1, 2):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for seed in range(models):
                train(seed, STEPS)
            best = min(best, (time.perf_counter() - start) / STEPS)
        print(f"pytorch {torch.__version__} threads={torch.get_num_threads()} models={models}: "
              f"{best * 1e3:.3f} ms/step, {1 / best:.0f} steps/s")


if __name__ == "__main__":
    main()

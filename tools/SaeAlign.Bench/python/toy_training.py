"""PyTorch eager peer of ToyTrainingBenchmark: the paper's toy training loop (cest-andre/align-interp,
toy_models.py train_model) for paper-64x32 at batch 1024, timed on the same machine.

Run: /usr/bin/python3 tools/SaeAlign.Bench/python/toy_training.py   (Debian: apt-get install python3-torch)
Prints milliseconds per training step for one model and for the paper's pair (trained one after the other).
"""
import time

import torch

from paper_models import Model

N_FEATURES, N_HIDDEN, BATCH, STEPS, P = 64, 32, 1024, 500, 0.1


def train(seed, steps):
    torch.manual_seed(seed)
    model = Model(N_FEATURES, N_HIDDEN, P)
    opt = torch.optim.AdamW(list(model.parameters()), lr=1e-3)
    generator = torch.Generator().manual_seed(1234)
    for _ in range(steps):
        x = model.generate_batch(BATCH, generator)
        loss = (model.importance * (x - model(x)["out"]) ** 2).mean()
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

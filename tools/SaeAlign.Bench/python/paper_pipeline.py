"""PyTorch peer of `SaeAlign.Bench pipeline-stages`: the paper's toy disentanglement experiment
(cest-andre/align-interp at 76dcda6: toy_models.py toy_align, utils.py SemiMatching / SoftMatching /
RidgeRegression) for one toy width, every stage timed on the same machine.

Run: /usr/bin/python3 tools/SaeAlign.Bench/python/paper_pipeline.py [--scale F] [--neurons M] [--threads T]
         [--ridge-runs K] [--lists]
(Debian: apt-get install python3-torch python3-scipy python3-sklearn python3-pot)

Stages and sizes match the SaeAlign pipeline: 64 features, 10,000 steps x batch 1024 at scale 1, two toy
models (seeds 0, 1) trained one after the other on one generated stream, hidden activations of the whole
stream, one SAE per model (the paper's ToySAE, d_sae 64, top-7, AuxK 0.1) for one pass over the first 80%,
encoding of the held-out 20% with the trained SAE and with an untrained one (the control), then each metric
on the 10 comparisons of the pipeline (both directions x neuron->neuron, sae->neuron, neuron->sae, sae->sae,
random-sae->random-sae), float64 as in the paper's plot_utils.

Where this departs from the paper's code, and why:
- The paper accumulates the stream and the activations in Python lists (`all += x.numpy().tolist()`), which
  at full scale needs about 21 GB of Python floats for the stream alone. This peer concatenates numpy
  chunks instead (same values, float64 result as np.array of the list gives), which only makes the peer
  faster; `--lists` restores the paper's lists to measure that cost at a small scale.
- The models are paper_models.py's copies of the paper's classes (see there for their two departures).
- Prints are dropped; the values they read (loss.item(), the dead-latent count) are still computed.
- RidgeRegression's noise-ceiling file (NSD) is not loaded; the train score it divides is still computed.
- `--ridge-runs K` times ridge on the first K comparisons only: sklearn RidgeCV takes many minutes per
  comparison at full scale. Its cost is linear in the rows, so the full-scale total can be extrapolated
  from a full-scale comparison and the per-comparison times of a small-scale run (printed per comparison).
"""
import argparse
import os
import tempfile
import time

import numpy as np
import ot
import torch
from sklearn.linear_model import RidgeCV
from torch.utils.data import DataLoader, TensorDataset

from paper_models import Model, ToySAE
from paper_utils import cdist, normalise, paper_folds, semi_matching

N_FEATS, N_BATCH, STEPS, P = 64, 1024, 10_000, 0.1
TOPK, AUX_ALPHA, PRINT_FREQ, TRAIN_SPLIT = 7, 1e-1, 1000, 0.8


def accumulate(chunks, lists, dtype=np.float64):
    """The paper's `all += chunk.tolist(); np.array(all)` (lists=True, float64) or the same values from numpy chunks."""
    if lists:
        rows = []
        for chunk in chunks:
            rows += chunk.tolist()
        return np.array(rows)
    return np.concatenate(list(chunks)).astype(dtype, copy=False)


def generate_data(model, steps, lists):
    """toy_models.py generate_data."""
    # float32 without the lists: the stream becomes a float tensor anyway, and float64 would need 5 GB more.
    dataset = accumulate((model.generate_batch(N_BATCH).detach().cpu().numpy() for _ in range(steps)), lists, np.float32)
    return TensorDataset(torch.tensor(dataset, dtype=torch.float))


def train_model(model, dataloader, steps):
    """toy_models.py train_model."""
    opt = torch.optim.AdamW(list(model.parameters()), lr=1e-3)
    for i, batch in enumerate(dataloader, 0):
        batch = batch[0]
        out = model(batch)["out"]
        error = model.importance * (batch.abs() - out) ** 2
        loss = error.mean()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i % PRINT_FREQ == 0 or (i + 1 == steps):
            loss.item()
    return model


def extract_activations(model, dataloader, lists):
    """toy_models.py extract_activations (no torch.no_grad there either)."""
    model.eval()
    return accumulate((model(batch[0])["hidden"].detach().cpu().numpy() for batch in dataloader), lists)


def train_sae(n_neurons, dataloader, savedir, seed):
    """toy_models.py train_sae."""
    torch.manual_seed(0)
    sae = ToySAE(n_neurons, N_FEATS, topk=TOPK)
    opt = torch.optim.AdamW(list(sae.parameters()), lr=1e-3)
    for i, batch in enumerate(dataloader, 0):
        batch = batch[0]
        opt.zero_grad(set_to_none=True)
        out, latents, preact_feats, dead_recon = sae(batch).values()
        recon_error = (batch - out) ** 2
        loss = recon_error.mean()
        if dead_recon is not None:
            aux_error = batch - out
            aux_mse = (dead_recon - aux_error) ** 2
            loss += (AUX_ALPHA * aux_mse).mean()
        loss.backward()
        opt.step()
        if i % PRINT_FREQ == 0:
            recon_error.mean().item()
            is_dead = ((latents > 0).sum(dim=0) == 0).float().detach()
            torch.nonzero(is_dead).shape[0]
    torch.save(sae.state_dict(), os.path.join(savedir, f"top{TOPK}_sae{seed}_weights.pth"))
    return sae


def soft_matching(X, Y, itermax=1000):
    scores = []
    for x_train, x_test, y_train, y_test in paper_folds(X, Y):
        nx, ny = x_train.shape[1], y_train.shape[1]
        plan, log = ot.emd(np.ones(nx, dtype=np.float64) / nx, np.ones(ny, dtype=np.float64) / ny,
                           cdist(x_train, y_train), numItermax=100000 * itermax, log=True)
        if log["warning"] is not None:
            return np.nan
        x_test, y_test = normalise(x_test), normalise(y_test)
        scores.append(np.sum(plan * (1 - cdist(x_test, y_test))))
    return scores


def ridge_regression(X, Y, alpha_min=-8, alpha_max=8, num_alpha=17):
    train_scores, val_scores, mses, all_coeffs = [], [], [], []
    for x_train, x_test, y_train, y_test in paper_folds(X, Y):
        predictor = RidgeCV(alphas=np.logspace(alpha_min, alpha_max, num_alpha), fit_intercept=False)
        predictor.fit(x_train, y_train)
        all_coeffs.append(predictor.coef_)
        x_test = normalise(x_test)
        y_pred = predictor.predict(x_test)
        mses.append(np.mean(np.sum((y_pred - y_test) ** 2, axis=1)))
        y_pred = y_pred / np.sqrt(np.sum(y_pred ** 2, axis=0))
        y_test = normalise(y_test)
        val_scores.append(np.mean(np.diag(1 - cdist(y_test, y_pred))))
        y_pred = predictor.predict(x_train)
        y_pred = normalise(y_pred)
        train_scores.append(np.mean(np.diag(1 - cdist(y_train, y_pred))))
    return val_scores


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--neurons", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ridge-runs", type=int, default=10)
    parser.add_argument("--lists", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    steps = max(1, round(STEPS * args.scale))
    m = args.neurons
    print(f"paper code, m = {m}, scale {args.scale}: {steps} steps x batch {N_BATCH}, {steps * N_BATCH} stimuli, "
          f"torch {torch.__version__} threads {torch.get_num_threads()}, lists {args.lists}, "
          f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, load {load_average()}", flush=True)
    times = {}

    def stage(name, start):
        times[name] = time.perf_counter() - start
        print(f"{name:26s} {times[name]:8.1f}   load {load_average()}", flush=True)

    start = time.perf_counter()
    torch.manual_seed(0)
    dataset = generate_data(Model(N_FEATS, m), steps, args.lists)
    stage("  data generation", start)
    models = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = Model(N_FEATS, m)
        models.append(train_model(model, DataLoader(dataset, batch_size=N_BATCH, shuffle=False, drop_last=False), steps))
    stage("toy training (incl. data)", start)

    start = time.perf_counter()
    acts = [extract_activations(model, DataLoader(dataset, batch_size=N_BATCH, shuffle=False, drop_last=False), args.lists)
            for model in models]
    del dataset
    stage("activations", start)

    start = time.perf_counter()
    n = acts[0].shape[0]
    saes = []
    with tempfile.TemporaryDirectory() as savedir:
        for seed, a in enumerate(acts):
            train = TensorDataset(torch.tensor(a[:int(n * TRAIN_SPLIT)], dtype=torch.float))
            saes.append(train_sae(m, DataLoader(train, batch_size=N_BATCH, shuffle=False, drop_last=False), savedir, seed))
    stage("SAE training (2 seeds)", start)

    start = time.perf_counter()
    held_out = [np.ascontiguousarray(a[-int(n * (1 - TRAIN_SPLIT)):]) for a in acts]
    del acts
    loaders = [DataLoader(TensorDataset(torch.tensor(h, dtype=torch.float)), batch_size=N_BATCH, shuffle=False, drop_last=False)
               for h in held_out]
    latents = [extract_activations(sae, loader, args.lists) for sae, loader in zip(saes, loaders)]
    controls = []
    for seed, loader in enumerate(loaders):
        torch.manual_seed(100 + seed)
        controls.append(extract_activations(ToySAE(m, N_FEATS, topk=TOPK), loader, args.lists))
    stage("encoding", start)

    runs = []
    for i, j in ((0, 1), (1, 0)):
        runs += [(held_out[i], held_out[j]), (latents[i], held_out[j]), (held_out[i], latents[j]),
                 (latents[i], latents[j]), (controls[i], controls[j])]
    print(f"\nmetrics, {len(runs)} comparisons on {held_out[0].shape[0]} held-out rows, 5-fold CV (seed 42)", flush=True)
    for name, metric, count in (("semi", semi_matching, len(runs)), ("soft", soft_matching, len(runs)),
                                ("ridge", ridge_regression, min(args.ridge_runs, len(runs)))):
        scores, seconds = [], []
        for x, y in runs[:count]:
            start = time.perf_counter()
            scores.append(np.mean(metric(x, y)))
            seconds.append(time.perf_counter() - start)
            print(f"  {name} comparison {len(seconds)}: {seconds[-1]:.1f} s", flush=True)
        note = "" if count == len(runs) else f" (first {count} comparisons only)"
        print(f"{name:26s} {sum(seconds):8.1f}   mean score {np.mean(scores):.4f}   load {load_average()}{note}", flush=True)


if __name__ == "__main__":
    main()

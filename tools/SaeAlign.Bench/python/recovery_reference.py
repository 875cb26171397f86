"""Ground-truth recovery of a small relu-l1 SAE against known features, computed with numpy and scipy as SAELens'
SynthSAEBench defines each number (sae_lens/synthetic/evals.py), for SaeAlign's GroundTruthRecovery test.

Run: /usr/bin/python3 tools/SaeAlign.Bench/python/recovery_reference.py tests/SaeAlign.Sae.Tests/Fixtures/recovery
"""
import json
import os
import sys

import numpy as np
from scipy.optimize import linear_sum_assignment

D_IN, D_SAE, N, ROWS = 8, 20, 12, 300


def main(folder):
    rng = np.random.default_rng(5)
    f32 = lambda a: np.asarray(a, dtype=np.float32)
    directions = f32(rng.standard_normal((N, D_IN)))
    feature_acts = f32(rng.uniform(0, 1, (ROWS, N)) * (rng.uniform(0, 1, (ROWS, N)) < 0.2))
    x = f32(feature_acts @ directions)
    # A noisy dictionary: the true directions for the first 12 latents, random ones for the rest.
    w_dec = f32(np.concatenate([directions + 0.3 * rng.standard_normal((N, D_IN)), rng.standard_normal((D_SAE - N, D_IN))]))
    w_enc = f32(w_dec.T * 0.2)
    b_enc = f32(rng.standard_normal(D_SAE) * 0.1 - 0.05)
    b_dec = f32(rng.standard_normal(D_IN) * 0.05)

    x64 = x.astype(np.float64)
    codes = np.maximum((x64 - b_dec) @ w_enc + b_enc, 0)  # relu-l1 ("standard") encode
    recon = codes @ w_dec + b_dec

    unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)
    cos = unit(w_dec.astype(np.float64)) @ unit(directions.astype(np.float64)).T  # [d_sae, n]
    rows, cols = linear_sum_assignment(1 - np.abs(cos))
    mcc = np.abs(cos)[rows, cols].mean()
    best = cos.max(axis=0)
    best_feature = np.abs(cos).argmax(axis=1)
    uniqueness = len(np.unique(best_feature)) / D_SAE

    variance = (x64 ** 2).sum(axis=1).mean() - (x64.mean(axis=0) ** 2).sum()
    explained = 1 - ((x64 - recon) ** 2).sum(axis=1).mean() / variance
    norms = np.linalg.norm(x64, axis=1)
    valid = norms > 1e-6
    shrinkage = (np.linalg.norm(recon, axis=1)[valid] / norms[valid]).mean()
    on = codes > 0
    truth_on = feature_acts[:, best_feature] > 0
    tp = (on & truth_on).sum(0); fp = (on & ~truth_on).sum(0); fn = (~on & truth_on).sum(0); tn = (~on & ~truth_on).sum(0)
    precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0)
    recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 0)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-300), 0)

    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "recovery.json"), "w") as f:
        json.dump({
            "d_in": D_IN, "d_sae": D_SAE, "n": N, "rows": ROWS,
            "directions": directions.flatten().tolist(), "feature_acts": feature_acts.flatten().tolist(), "x": x.flatten().tolist(),
            "w_enc": w_enc.flatten().tolist(), "w_dec": w_dec.flatten().tolist(), "b_enc": b_enc.tolist(), "b_dec": b_dec.tolist(),
            "expected": {
                "mcc": mcc, "mean_max_cosine": best.mean(), "recovered": int((best > 0.9).sum()), "uniqueness": uniqueness,
                "explained_variance": explained, "shrinkage": shrinkage, "l0": on.sum(1).mean(), "dead_fraction": float((~on.any(0)).mean()),
                "precision": precision.mean(), "recall": recall.mean(), "f1": f1.mean(), "accuracy": ((tp + tn) / ROWS).mean(),
                "true_l0": (feature_acts > 0).sum(1).mean(),
            },
        }, f)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/SaeAlign.Sae.Tests/Fixtures/recovery")

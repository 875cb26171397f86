"""numpy peer of `SaeAlign.Bench wide-replay`: the paper's procedure for semi-matching between two SAEs' codes at
the width of real SAEs (cest-andre/align-interp: encode with each TopK SAE, drop dead units over the folds,
SemiMatching with KFold(5, shuffle, 42)), timed on the same machine and the same files.

Run: /usr/bin/python3 tools/SaeAlign.Bench/python/wide_semi_peer.py DIR K
(DIR and K as given to wide-replay, whose files it reads: acts0.npy, acts1.npy, sae0_W_enc.npy, sae1_W_enc.npy;
Debian: apt-get install python3-numpy python3-sklearn libopenblas0-pthread.)
Prints the seconds and the peak resident memory of encoding and of the sae->sae semi-matching.
"""
import resource
import sys
import time

import numpy as np

from paper_utils import semi_matching


def encode(acts, w_enc, k):
    """TopK inference as the paper's SAE (b_enc = b_dec = 0 here): the k largest pre-activations, ReLU'd."""
    pre = acts @ w_enc
    top = np.argpartition(pre, -k, axis=1)[:, -k:]
    codes = np.zeros_like(pre)
    rows = np.arange(pre.shape[0])[:, None]
    codes[rows, top] = np.maximum(pre[rows, top], 0)
    return codes


def time_sae_to_sae(folder, k, name, metric):
    """Encodes both models' activations with their SAEs, then times `metric` between the two code sets."""
    start = time.perf_counter()
    codes = [encode(np.load(f"{folder}/acts{m}.npy").astype(np.float64), np.load(f"{folder}/sae{m}_W_enc.npy").astype(np.float64), k)
             for m in (0, 1)]
    print(f"encode   {time.perf_counter() - start:8.1f} s", flush=True)
    start = time.perf_counter()
    scores = metric(codes[0], codes[1])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name:8} {time.perf_counter() - start:8.1f} s   score {np.mean(scores):.4f}   peak RSS {peak:.0f} MB", flush=True)


if __name__ == "__main__":
    time_sae_to_sae(sys.argv[1], int(sys.argv[2]), "semi", semi_matching)

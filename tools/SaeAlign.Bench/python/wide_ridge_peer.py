"""numpy/sklearn peer of `SaeAlign.Bench wide-replay --metrics ridge --sae-to-sae`: the paper's ridge between two
SAEs' codes (cest-andre/align-interp utils.py RidgeRegression: dead units dropped over the folds, KFold(5, shuffle,
42), sklearn RidgeCV over 17 alphas), timed on the same machine and the same files. The paper scales the training
columns to unit norm, which SaeAlign's ridge does not, so the scores differ; the work per fold is the same.

Run: /usr/bin/python3 tools/SaeAlign.Bench/python/wide_ridge_peer.py DIR K
Prints the seconds and the peak resident memory of encoding and of the sae->sae ridge.
"""
import resource
import sys
import time

import numpy as np

from paper_utils import ridge_regression
from wide_semi_peer import encode


def main(folder, k):
    start = time.perf_counter()
    codes = [encode(np.load(f"{folder}/acts{m}.npy").astype(np.float64), np.load(f"{folder}/sae{m}_W_enc.npy").astype(np.float64), k)
             for m in (0, 1)]
    print(f"encode   {time.perf_counter() - start:8.1f} s", flush=True)
    start = time.perf_counter()
    scores = ridge_regression(codes[0], codes[1])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ridge    {time.perf_counter() - start:8.1f} s   score {np.mean(scores):.4f}   peak RSS {peak:.0f} MB", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

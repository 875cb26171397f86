"""numpy/sklearn peer of `SaeAlign.Bench wide-replay --metrics ridge --sae-to-sae`: the paper's ridge between two
SAEs' codes (cest-andre/align-interp utils.py RidgeRegression: dead units dropped over the folds, KFold(5, shuffle,
42), sklearn RidgeCV over 17 alphas), timed on the same machine and the same files. The paper scales the training
columns to unit norm, which SaeAlign's ridge does not, so the scores differ; the work per fold is the same.

Run: /usr/bin/python3 tools/SaeAlign.Bench/python/wide_ridge_peer.py DIR K
Prints the seconds and the peak resident memory of encoding and of the sae->sae ridge.
"""
import sys

from paper_utils import ridge_regression
from wide_semi_peer import time_sae_to_sae

if __name__ == "__main__":
    time_sae_to_sae(sys.argv[1], int(sys.argv[2]), "ridge", ridge_regression)

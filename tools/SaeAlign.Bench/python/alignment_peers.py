"""numpy/scipy/sklearn/POT peers of AlignmentBenchmark: each metric as a Python user would compute it, timed
on the same machine and the same data.

Run: /usr/bin/python3 tools/SaeAlign.Bench/python/alignment_peers.py SOURCE.npy TARGET.npy [--metrics semi,soft,...]
(Debian: apt-get install python3-numpy python3-scipy python3-sklearn python3-pot libopenblas0-pthread; without
OpenBLAS numpy falls back to the reference BLAS, several times slower at GEMMs, which would flatter SaeAlign.)
The data: `SaeAlign.Bench align-suite --make ROWS UNITS SOURCE.npy TARGET.npy` (float32; read here as float64).
Prints seconds per metric (--cv none, i.e. fit and score on all rows; loading excluded) and the numpy float64 GEMM
time for XᵀY, in the format of `SaeAlign.Bench align-suite`, which times SaeAlign on the same files.
"""
import sys
import time

import numpy as np


def timed(name, fn):
    if name not in SELECTED:
        return
    start = time.perf_counter()
    value = fn()
    print(f"{name:12s} {time.perf_counter() - start:9.3f} s   score {value:.6f}", flush=True)


def main(source_path, target_path):
    x32, y32 = np.load(source_path), np.load(target_path)
    # float32 activations become float64 before the metrics (SaeAlign's times include that conversion).
    timed("to float64", lambda: float(len(x32.astype(np.float64)) + len(y32.astype(np.float64))))
    x, y = x32.astype(np.float64), y32.astype(np.float64)
    x = x[:, x.std(0) > 0]
    y = y[:, y.std(0) > 0]
    a = x.shape[1]

    def corr():
        xc, yc = x - x.mean(0), y - y.mean(0)
        return (xc.T @ yc) / np.outer(np.linalg.norm(xc, axis=0), np.linalg.norm(yc, axis=0))

    corr()  # untimed warm-up: the first metric would otherwise pay for first-touching the allocator's memory
    timed("gemm", lambda: float((x.T @ y)[0, 0]))
    timed("semi", lambda: float(corr().max(0).mean()))

    def one_to_one():
        from scipy.optimize import linear_sum_assignment
        c = corr()
        r, k = linear_sum_assignment(c, maximize=True)
        return float(c[r, k].mean())
    timed("one-to-one", one_to_one)

    def soft():
        import ot
        c = corr()
        plan = ot.emd(np.full(c.shape[0], 1 / c.shape[0]), np.full(c.shape[1], 1 / c.shape[1]), 1 - c)
        return float((plan * c).sum())
    timed("soft", soft)

    def ridge():
        from sklearn.linear_model import RidgeCV
        xc, yc = x - x.mean(0), y - y.mean(0)
        model = RidgeCV(alphas=np.logspace(-8, 8, 17), fit_intercept=False).fit(xc, yc)
        pred = model.predict(xc)
        return float(np.mean([np.corrcoef(pred[:, j], yc[:, j])[0, 1] for j in range(yc.shape[1])]))
    timed("ridge", ridge)

    def cka():
        xc, yc = x - x.mean(0), y - y.mean(0)
        return float(np.linalg.norm(yc.T @ xc) ** 2 / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc)))
    timed("cka", cka)

    def procrustes():
        xc, yc = x - x.mean(0), y - y.mean(0)
        nuclear = np.linalg.svd(xc.T @ yc, compute_uv=False).sum()
        return float(nuclear / (np.linalg.norm(xc) * np.linalg.norm(yc)))
    timed("procrustes", procrustes)

    sample = np.sort(np.random.default_rng(0).permutation(len(x))[:10_000])
    xs, ys = x[sample], y[sample]

    def rsa():
        from scipy.stats import pearsonr
        keep = (xs.std(1) > 0) & (ys.std(1) > 0)
        iu = np.triu_indices(int(keep.sum()), 1)
        return float(pearsonr((1 - np.corrcoef(xs[keep]))[iu], (1 - np.corrcoef(ys[keep]))[iu])[0])
    timed("rsa", rsa)

    def mknn(k=10):
        def neighbours(z):
            zn = z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-300)
            s = zn @ zn.T
            np.fill_diagonal(s, -np.inf)
            return np.argpartition(-s, k, axis=1)[:, :k]
        nx, ny = neighbours(xs), neighbours(ys)
        return float(np.mean([len(set(p) & set(q)) / k for p, q in zip(nx, ny)]))
    timed("mknn", mknn)


ALL = ["to float64", "gemm", "semi", "one-to-one", "soft", "ridge", "cka", "procrustes", "rsa", "mknn"]
SELECTED = set(ALL)

if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[3] == "--metrics":
        SELECTED = {"to float64", "gemm", *sys.argv[4].split(",")}
    print(f"numpy {np.__version__}, BLAS: {np.__config__.get_info('blas_opt_info').get('libraries')}", flush=True)
    main(sys.argv[1], sys.argv[2])

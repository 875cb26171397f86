#!/usr/bin/python3
"""Reference vectors for SaeAlign's alignment metrics (tests/SaeAlign.Alignment.Tests/ReferenceTests.cs).

Every metric is computed here independently of the C# code path: from the rows, with numpy/scipy/sklearn
(correlations with np.corrcoef, scipy's linear_sum_assignment and linprog (HiGHS) for the exact matchings,
explicit hat matrices for ridge's leave-one-out error cross-checked with sklearn's RidgeCV, n x n Gram
matrices for CKA and debiased HSIC, scipy.stats for RSA). Inputs are float32 values stored as float64, so the
C# reader (which reads float32) sees exactly the same numbers.

Run with Debian's python3 (numpy, scipy, sklearn): /usr/bin/python3 data/alignment/make_reference.py
Writes source.npy, target.npy, triplets.npy and reference.json next to this script.
"""
import json
import os

import numpy as np
from scipy.optimize import linear_sum_assignment, linprog
from scipy.stats import pearsonr, spearmanr
from sklearn.linear_model import RidgeCV

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS, SOURCE_UNITS, TARGET_UNITS = 120, 6, 5
DEAD_SOURCE, CONSTANT_TARGET = 3, 4
ALPHAS = np.logspace(-8, 8, 17)
CV_FOLDS, CV_SEED = 3, 7
K = 5
MASK = (1 << 64) - 1


def splitmix64(seed):
    state = seed & MASK
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def shuffle(n, seed):
    order = list(range(n))
    rng = splitmix64(seed)
    for i in range(n - 1, 0, -1):
        j = next(rng) % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def folds(n, k, seed):
    order = shuffle(n, seed)
    fold = np.zeros(n, dtype=int)
    pos = 0
    for f in range(k):
        size = n // k + (1 if f < n % k else 0)
        for _ in range(size):
            fold[order[pos]] = f
            pos += 1
    return fold


def corr(x, y):
    a, b = x.shape[1], y.shape[1]
    return np.corrcoef(x, y, rowvar=False)[:a, a:]


def semi(cf, ct):
    best = cf.argmax(axis=0)
    return ct[best, np.arange(ct.shape[1])].mean()


def one_to_one(cf, ct):
    r, c = linear_sum_assignment(cf, maximize=True)
    return ct[r, c].mean()


def soft(cf, ct):
    a, b = cf.shape
    cost = (1 - cf).ravel()
    eq = np.zeros((a + b, a * b))
    for i in range(a):
        eq[i, i * b:(i + 1) * b] = 1
    for j in range(b):
        eq[a + j, j::b] = 1
    rhs = np.concatenate([np.full(a, 1 / a), np.full(b, 1 / b)])
    res = linprog(cost, A_eq=eq, b_eq=rhs, bounds=(0, None), method="highs")
    assert res.status == 0
    plan = res.x.reshape(a, b)
    return float((plan * ct).sum())


def ridge_fit(x, y):
    mx, my = x.mean(0), y.mean(0)
    xc, yc = x - mx, y - my
    errors = []
    for alpha in ALPHAS:
        inv = np.linalg.inv(xc.T @ xc + alpha * np.eye(x.shape[1]))
        hat = xc @ inv @ xc.T
        resid = yc - hat @ yc
        errors.append(float(((resid / (1 - np.diag(hat))[:, None]) ** 2).sum()))
    alpha = ALPHAS[int(np.argmin(errors))]
    check = RidgeCV(alphas=ALPHAS, fit_intercept=False).fit(xc, yc)
    assert np.isclose(check.alpha_, alpha), (check.alpha_, alpha)
    w = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ yc)
    return alpha, w, mx


def ridge_score(w, mx, x, y):
    pred = (x - mx) @ w
    return float(np.mean([pearsonr(pred[:, j], y[:, j])[0] for j in range(y.shape[1])]))


def procrustes_fit(x, y):
    mx, my = x.mean(0), y.mean(0)
    xc, yc = pad(x - mx, y - my)
    u, _, vt = np.linalg.svd(xc.T @ yc)
    return u @ vt, mx, my


def pad(x, y):
    d = max(x.shape[1], y.shape[1])
    return (np.pad(x, ((0, 0), (0, d - x.shape[1]))), np.pad(y, ((0, 0), (0, d - y.shape[1]))))


def procrustes_score(q, mx, my, x, y):
    xc, yc = pad(x - mx, y - my)
    xq = xc @ q
    return float((xq * yc).sum() / (np.linalg.norm(xq) * np.linalg.norm(yc)))


def cka(x, y):
    xc, yc = x - x.mean(0), y - y.mean(0)
    return float(np.linalg.norm(yc.T @ xc) ** 2 / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc)))


def hsic_unbiased(k, l):
    n = k.shape[0]
    k, l = k.copy(), l.copy()
    np.fill_diagonal(k, 0)
    np.fill_diagonal(l, 0)
    one = np.ones(n)
    return (np.trace(k @ l) + (one @ k @ one) * (one @ l @ one) / ((n - 1) * (n - 2))
            - 2 / (n - 2) * (one @ k @ l @ one)) / (n * (n - 3))


def cka_debiased(x, y):
    k, l = x @ x.T, y @ y.T
    return float(hsic_unbiased(k, l) / np.sqrt(hsic_unbiased(k, k) * hsic_unbiased(l, l)))


def rsa(x, y, spearman):
    keep = (x.std(1) > 0) & (y.std(1) > 0)
    x, y = x[keep], y[keep]
    iu = np.triu_indices(len(x), 1)
    rx, ry = (1 - np.corrcoef(x))[iu], (1 - np.corrcoef(y))[iu]
    # Spearman ranks entries rounded to 1e-10, so that ties in exact arithmetic stay ties (as SaeAlign does).
    return float(spearmanr(np.round(rx, 10), np.round(ry, 10))[0] if spearman else pearsonr(rx, ry)[0])


def mknn(x, y, k):
    def neighbours(z):
        zn = z / np.linalg.norm(z, axis=1, keepdims=True)
        s = zn @ zn.T
        np.fill_diagonal(s, -np.inf)
        # Similarities equal to 1e-10 tie; ties go to the lower index (stable sort), as in SaeAlign.
        return np.argsort(-np.round(s * 1e10), axis=1, kind="stable")[:, :k]
    nx, ny = neighbours(x), neighbours(y)
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(nx, ny)]))


def odd_one_out(z, t):
    i, j, k = t
    def cos(a, b):
        return z[a] @ z[b] / (np.linalg.norm(z[a]) * np.linalg.norm(z[b]))
    ij, ik, jk = cos(i, j), cos(i, k), cos(j, k)
    if ij >= ik and ij >= jk:
        return k
    return j if ik >= jk else i


def fitted(x, y, fold):
    """Scores of the fitted metrics for one split (fit rows -> test rows)."""
    out = {}
    splits = [(np.ones(len(x), bool), np.ones(len(x), bool))] if fold is None else \
        [(fold != f, fold == f) for f in range(fold.max() + 1)]
    per = {m: [] for m in ["semi", "soft", "one-to-one", "ridge", "procrustes", "procrustes-angle"]}
    alphas = []
    for tr, te in splits:
        cf, ct = corr(x[tr], y[tr]), corr(x[te], y[te])
        per["semi"].append(semi(cf, ct))
        per["soft"].append(soft(cf, ct))
        per["one-to-one"].append(one_to_one(cf, ct))
        alpha, w, mx = ridge_fit(x[tr], y[tr])
        alphas.append(float(alpha))
        per["ridge"].append(ridge_score(w, mx, x[te], y[te]))
        q, mx, my = procrustes_fit(x[tr], y[tr])
        s = procrustes_score(q, mx, my, x[te], y[te])
        per["procrustes"].append(s)
        per["procrustes-angle"].append(float(np.arccos(np.clip(s, -1, 1))))
    for m, scores in per.items():
        scores = np.array(scores, dtype=float)
        out[m] = {"score": float(scores.mean()), "folds": scores.tolist(),
                  "sem": float(scores.std(ddof=1) / np.sqrt(len(scores))) if len(scores) > 1 else None}
    out["ridge"]["alphas"] = alphas
    return out


def main():
    rng = np.random.default_rng(20251003)
    latent = rng.standard_normal((ROWS, 4))
    x = np.maximum(latent @ rng.standard_normal((4, SOURCE_UNITS)) + 0.3 * rng.standard_normal((ROWS, SOURCE_UNITS)), 0)
    y = latent @ rng.standard_normal((4, TARGET_UNITS)) + 0.5 * rng.standard_normal((ROWS, TARGET_UNITS))
    x[:, DEAD_SOURCE] = 0
    y[:, CONSTANT_TARGET] = 2
    x[7] = 0.5  # constant over the live units (not the dead one): RSA drops it only after dead units go
    x[7, DEAD_SOURCE] = 0
    assert (np.abs(x).sum(1) > 0).all(), "a zero row would make cosine neighbours ties"
    x = x.astype(np.float32).astype(np.float64)
    y = y.astype(np.float32).astype(np.float64)
    triplets = np.array([rng.choice(ROWS, 3, replace=False) for _ in range(60)])
    # Judgements: the odd one of a noisy version of the target, so agreement is informative but imperfect.
    noisy = y + 0.8 * rng.standard_normal(y.shape)
    judged = np.array([odd_one_out(noisy, t) for t in triplets])

    np.save(os.path.join(HERE, "source.npy"), x)
    np.save(os.path.join(HERE, "target.npy"), y)
    np.save(os.path.join(HERE, "triplets.npy"), np.column_stack([triplets, judged]).astype(np.float64))

    xl = np.delete(x, DEAD_SOURCE, axis=1)
    yl = np.delete(y, CONSTANT_TARGET, axis=1)
    ref = {
        "rows": ROWS,
        "dropped_source": [f"u{DEAD_SOURCE:04d}"],
        "dropped_target": [f"u{CONSTANT_TARGET:04d}"],
        "cv_none": fitted(xl, yl, None),
        f"cv_kfold:{CV_FOLDS}:{CV_SEED}": fitted(xl, yl, folds(ROWS, CV_FOLDS, CV_SEED)),
        "folds": folds(ROWS, CV_FOLDS, CV_SEED).tolist(),
        "cka": cka(xl, yl),
        "cka-debiased": cka_debiased(xl - xl.mean(0), yl - yl.mean(0)),
        "rsa": rsa(xl, yl, False),
        "rsa-spearman": rsa(xl, yl, True),
        "rsa_dropped_stimuli": int(((xl.std(1) == 0) | (yl.std(1) == 0)).sum()),
        "mknn_k": K,
        "mknn": mknn(xl, yl, K),
        "triplet": float(np.mean([odd_one_out(xl, t) == odd_one_out(yl, t) for t in triplets])),
        "triplet_source_vs_judgements": float(np.mean([odd_one_out(xl, t) == o for t, o in zip(triplets, judged)])),
        "triplet_target_vs_judgements": float(np.mean([odd_one_out(yl, t) == o for t, o in zip(triplets, judged)])),
    }
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

"""The paper's alignment utilities (cest-andre/align-interp at 76dcda6, utils.py), shared by the peers that run the
paper's procedure: paper_pipeline.py (toy widths) and wide_semi_peer.py (the width of real SAEs).
"""
import numpy as np
from sklearn.model_selection import KFold


# utils.py, verbatim except for the prints and the fold loop they share (paper_folds).
def cdist(X, Y):
    cross_term = np.dot(X.T, Y)
    return 1 - cross_term


def remove_dead_units(X, Y, kf):
    x_rem_indices = np.array([], dtype=np.int32)
    y_rem_indices = np.array([], dtype=np.int32)
    for train_idx, test_idx in kf.split(X):
        x_train, x_test = X[train_idx], X[test_idx]
        x_rem_indices = np.unique(np.concatenate((x_rem_indices, np.all(x_train == 0, axis=0).nonzero()[0])))
        x_rem_indices = np.unique(np.concatenate((x_rem_indices, np.all(x_test == 0, axis=0).nonzero()[0])))
        y_train, y_test = Y[train_idx], Y[test_idx]
        y_rem_indices = np.unique(np.concatenate((y_rem_indices, np.all(y_train == 0, axis=0).nonzero()[0])))
        y_rem_indices = np.unique(np.concatenate((y_rem_indices, np.all(y_test == 0, axis=0).nonzero()[0])))
    X, Y = np.delete(X, x_rem_indices, axis=1), np.delete(Y, y_rem_indices, axis=1)
    return X, Y, x_rem_indices


def normalise(z):
    z = z - z.mean(axis=0)
    return z / np.sqrt(np.sum(z ** 2, axis=0))


def paper_folds(X, Y, n_splits=5):
    """The fold loop shared by SemiMatching, SoftMatching and RidgeRegression: dead units removed over all
    folds, then per fold the normalised training rows and the raw test rows."""
    kf = KFold(n_splits=n_splits, shuffle=True, random_state=42)
    X, Y, _ = remove_dead_units(X, Y, kf)
    for train_idx, test_idx in kf.split(X):
        yield normalise(X[train_idx]), X[test_idx], normalise(Y[train_idx]), Y[test_idx]


def semi_matching(X, Y):
    scores = []
    for x_train, x_test, y_train, y_test in paper_folds(X, Y):
        max_indices = np.argmax(1 - cdist(x_train, y_train), axis=0)
        x_test, y_test = normalise(x_test), normalise(y_test)
        scores.append(np.mean(np.diag(1 - cdist(x_test[:, max_indices], y_test))))
    return scores




def ridge_regression(X, Y, alpha_min=-8, alpha_max=8, num_alpha=17):
    """utils.py RidgeRegression's validation scores: per fold, training columns centred and scaled to unit norm,
    RidgeCV over logspace(-8, 8, 17) without intercept, then the test predictions' cosine with the centred test
    targets (the train scores and noise ceiling it also prints are left out)."""
    from sklearn.linear_model import RidgeCV
    scores = []
    for x_train, x_test, y_train, y_test in paper_folds(X, Y):
        predictor = RidgeCV(alphas=np.logspace(alpha_min, alpha_max, num_alpha), fit_intercept=False).fit(x_train, y_train)
        x_test = normalise(x_test)
        y_pred = predictor.predict(x_test)
        y_pred = y_pred / np.sqrt(np.sum(y_pred ** 2, axis=0))
        y_test = normalise(y_test)
        scores.append(np.mean(np.diag(1 - cdist(y_test, y_pred))))
    return scores

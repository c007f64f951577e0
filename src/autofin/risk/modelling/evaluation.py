"""Model evaluation on held-out rows: discrimination (AUC, KS, Gini), calibration, lift; valuation errors.

All functions are pure numpy. ``auc`` is the Mann-Whitney statistic with ties counted half, which equals
scikit-learn's ``roc_auc_score``; KS is the largest gap between the cumulative score distributions of bads and goods.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import rankdata


def _check(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if y.shape != p.shape:
        raise ValueError("labels and predictions differ in length")
    if len(np.unique(y)) != 2:
        raise ValueError("evaluation needs both classes among the labels")
    return y, p


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve: the chance a random bad ranks above a random good (ties count ½)."""
    y, p = _check(y, p)
    ranks = rankdata(p)
    bads = y == 1
    n_bad = bads.sum()
    n_good = len(y) - n_bad
    return float((ranks[bads].sum() - n_bad * (n_bad + 1) / 2) / (n_bad * n_good))


def gini(y: np.ndarray, p: np.ndarray) -> float:
    return 2 * auc(y, p) - 1


def ks(y: np.ndarray, p: np.ndarray) -> float:
    """Kolmogorov-Smirnov statistic: max |CDF_bad(t) − CDF_good(t)| over thresholds t."""
    y, p = _check(y, p)
    order = np.argsort(p, kind="mergesort")
    p_sorted, y_sorted = p[order], y[order]
    cum_bad = np.cumsum(y_sorted) / y_sorted.sum()
    cum_good = np.cumsum(1 - y_sorted) / (1 - y_sorted).sum()
    last_of_tie = np.r_[p_sorted[1:] != p_sorted[:-1], True]  # only compare at distinct thresholds
    return float(np.max(np.abs(cum_bad - cum_good)[last_of_tie]))


def roc_points(y: np.ndarray, p: np.ndarray, points: int = 50) -> list[dict[str, float]]:
    """A down-sampled ROC curve (false-positive rate, true-positive rate) for charts."""
    y, p = _check(y, p)
    thresholds = np.unique(np.quantile(p, np.linspace(0, 1, points + 1)))[::-1]
    n_bad, n_good = y.sum(), (1 - y).sum()
    curve = [{"fpr": 0.0, "tpr": 0.0}]
    for t in thresholds:
        flagged = p >= t
        curve.append({"fpr": float((flagged & (y == 0)).sum() / n_good),
                      "tpr": float((flagged & (y == 1)).sum() / n_bad)})
    curve.append({"fpr": 1.0, "tpr": 1.0})
    return curve


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Rows grouped by predicted PD (deciles): mean predicted PD against the observed default rate."""
    y, p = _check(y, p)
    order = np.argsort(p, kind="mergesort")
    table = []
    for i, chunk in enumerate(np.array_split(order, bins)):
        if len(chunk) == 0:
            continue
        table.append({"bin": i + 1, "count": len(chunk), "predicted": float(p[chunk].mean()),
                      "observed": float(y[chunk].mean())})
    return table


def lift_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Deciles from the riskiest down: default rate, lift over the average, cumulative share of bads captured."""
    y, p = _check(y, p)
    order = np.argsort(-p, kind="mergesort")
    base = y.mean()
    total_bad = y.sum()
    captured = 0.0
    table = []
    for i, chunk in enumerate(np.array_split(order, bins)):
        if len(chunk) == 0:
            continue
        rate = float(y[chunk].mean())
        captured += float(y[chunk].sum())
        table.append({"decile": i + 1, "count": len(chunk), "bad_rate": rate, "lift": rate / base,
                      "cumulative_capture": captured / total_bad})
    return table


def binary_report(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """Everything a credit officer reads about a PD or score on held-out rows (``p``: higher = riskier)."""
    area = auc(y, p)
    return {
        "rows": len(y),
        "bad_rate": float(np.mean(y)),
        "auc": area,
        "gini": 2 * area - 1,
        "ks": ks(y, p),
        "calibration": calibration_table(y, p),
        "lift": lift_table(y, p),
        "roc": roc_points(y, p),
    }


# ---------------------------------------------------------------------------------------------------- valuation


def absolute_percentage_errors(actual: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    if np.any(actual <= 0):
        raise ValueError("percentage errors need actual values above zero")
    return np.abs(predicted - actual) / actual


def mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(absolute_percentage_errors(actual, predicted)))


def median_ape(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.median(absolute_percentage_errors(actual, predicted)))


def errors_by_segment(actual: np.ndarray, predicted: np.ndarray, segments: np.ndarray,
                      min_rows: int = 20) -> list[dict[str, Any]]:
    """MAPE and median APE per segment value (segments with fewer than ``min_rows`` rows are pooled as 'other')."""
    ape = absolute_percentage_errors(actual, predicted)
    labels = np.asarray(segments).astype(str)
    values, counts = np.unique(labels, return_counts=True)
    small = set(values[counts < min_rows])
    if small:
        labels = np.where(np.isin(labels, list(small)), "other", labels)
    rows = []
    for value in np.unique(labels):
        mask = labels == value
        rows.append({"segment": str(value), "count": int(mask.sum()), "mape": float(ape[mask].mean()),
                     "median_ape": float(np.median(ape[mask]))})
    return sorted(rows, key=lambda r: -r["count"])


def interval_coverage(actual: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    actual = np.asarray(actual, dtype=float)
    return float(np.mean((actual >= low) & (actual <= high)))

"""PSI known values and evaluation metrics against scikit-learn / scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from autofin.risk.modelling import evaluation, psi


def test_psi_of_a_half_half_split_moving_to_a_quarter_is_the_textbook_value() -> None:
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert psi.psi_from_shares([0.5, 0.5], [0.25, 0.75]) == pytest.approx(expected)
    assert expected == pytest.approx(0.2747, abs=1e-4)


def test_the_same_population_is_stable_and_a_shifted_one_warns() -> None:
    rng = np.random.default_rng(1)
    training = rng.normal(520, 30, 20_000)
    reference = psi.reference_of(training)
    same = psi.psi(reference, rng.normal(520, 30, 20_000))
    shifted = psi.psi(reference, rng.normal(560, 30, 20_000))
    assert same < 0.01 and psi.status_of(same) == "stable"
    assert shifted > 0.25 and psi.status_of(shifted) == "warning"
    assert psi.status_of(0.2) == "watch"
    assert sum(reference.shares) == pytest.approx(1.0)


def test_an_empty_bin_does_not_make_psi_infinite() -> None:
    assert math.isfinite(psi.psi_from_shares([0.5, 0.5, 0.0], [0.4, 0.4, 0.2]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_auc_gini_and_ks_match_scikit_learn_and_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = (rng.random(3000) < 0.25).astype(float)
    p = np.round(rng.random(3000) * 0.5 + y * rng.random(3000) * 0.4, 2)  # rounded: many ties
    assert evaluation.auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert evaluation.gini(y, p) == pytest.approx(2 * roc_auc_score(y, p) - 1, abs=1e-12)
    assert evaluation.ks(y, p) == pytest.approx(ks_2samp(p[y == 1], p[y == 0]).statistic, abs=1e-12)


def test_lift_and_calibration_tables_cover_every_row() -> None:
    rng = np.random.default_rng(4)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(float)
    lift = evaluation.lift_table(y, p)
    assert sum(r["count"] for r in lift) == 1000
    assert lift[-1]["cumulative_capture"] == pytest.approx(1.0)
    assert lift[0]["lift"] > 1.5 > lift[-1]["lift"]
    calibration = evaluation.calibration_table(y, p)
    assert all(abs(r["predicted"] - r["observed"]) < 0.15 for r in calibration)


def test_valuation_errors_mape_median_and_by_segment() -> None:
    actual = np.array([100.0, 200.0, 400.0, 800.0])
    predicted = np.array([110.0, 180.0, 400.0, 1000.0])
    assert evaluation.mape(actual, predicted) == pytest.approx((0.1 + 0.1 + 0 + 0.25) / 4)
    assert evaluation.median_ape(actual, predicted) == pytest.approx(0.1)
    segments = evaluation.errors_by_segment(actual, predicted, np.array(["a", "a", "b", "b"]), min_rows=1)
    assert {s["segment"]: s["mape"] for s in segments} == pytest.approx({"a": 0.1, "b": 0.125})
    assert evaluation.interval_coverage(actual, actual * 0.9, actual * 1.1) == 1.0


def test_evaluation_refuses_a_single_class() -> None:
    with pytest.raises(ValueError, match="both classes"):
        evaluation.auc(np.zeros(5), np.arange(5.0))

"""Scorecard: monotonic WoE bins, the points formula, grades, and a table that explains every score."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autofin.risk.modelling.features import Feature
from autofin.risk.modelling.scorecard import (
    MIN_BIN_SHARE,
    Scaling,
    Scorecard,
    bin_categorical,
    bin_numeric,
    log_odds_from_score,
    score_from_log_odds,
    train_scorecard,
)


def synthetic(rows: int = 4000, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    bureau = rng.normal(650, 80, rows)
    employment = rng.integers(0, 3, rows).astype(float)
    log_odds = -1.2 - (bureau - 650) / 60 + np.array([0.0, 0.4, 1.5])[employment.astype(int)]
    y = (rng.random(rows) < 1 / (1 + np.exp(-log_odds))).astype(float)
    bureau[rng.random(rows) < 0.05] = np.nan
    return np.column_stack([bureau, employment]), y


FEATURES = [Feature("bureau_score", "bureau_score", "numeric", "number"),
            Feature("employment", "employment", "categorical", "category", ["Salaried", "Self employed", "None"])]


def test_the_default_scaling_gives_600_points_at_odds_50_to_1() -> None:
    scaling = Scaling()
    assert score_from_log_odds(-math.log(50), scaling) == pytest.approx(600.0)


def test_doubling_the_good_bad_odds_adds_exactly_pdo_points() -> None:
    scaling = Scaling(base_score=500, base_odds=20, pdo=40)
    at_base = score_from_log_odds(-math.log(20), scaling)
    doubled = score_from_log_odds(-math.log(40), scaling)
    assert at_base == pytest.approx(500.0)
    assert doubled - at_base == pytest.approx(40.0)
    assert scaling.factor == pytest.approx(40 / math.log(2))
    assert scaling.offset == pytest.approx(500 - 40 / math.log(2) * math.log(20))
    assert log_odds_from_score(500.0, scaling) == pytest.approx(-math.log(20))


def test_numeric_bins_have_a_monotonic_bad_rate_and_a_missing_bin() -> None:
    x, y = synthetic()
    bins = bin_numeric("bureau_score", x[:, 0], y)
    regular = [b for b in bins.bins if not b.missing]
    rates = [b.bads / b.count for b in regular]
    assert rates == sorted(rates, reverse=True)  # higher bureau score, fewer defaults
    assert bins.trend == "bad rate falls"
    assert 2 <= len(regular) <= 8
    assert all(b.count >= MIN_BIN_SHARE * len(x) for b in regular)
    assert bins.bins[-1].missing and bins.bins[-1].label == "missing"
    woes = [b.woe for b in regular]
    assert woes == sorted(woes)  # WoE = ln(good/bad) rises with the score


def test_categorical_bins_keep_frequent_categories_by_name() -> None:
    x, y = synthetic()
    bins = bin_categorical("employment", x[:, 1], y, FEATURES[1].categories)
    assert {b.label for b in bins.bins} == {"Salaried", "Self employed", "None"}
    assert bins.iv > 0.1


def test_a_scorecard_score_is_the_sum_of_its_bin_points_and_ranks_like_its_pd() -> None:
    x, y = synthetic()
    card = train_scorecard(x, y, FEATURES)
    scores = card.score(x)
    by_hand = sum(fb.points_of(x[:, card.feature_index[fb.feature]]) for fb in card.features)
    assert np.array_equal(scores, by_hand)
    exact = score_from_log_odds(card.log_odds(x), card.scaling)
    assert np.max(np.abs(scores - exact)) <= len(card.features) * 0.5 + 1e-9  # only per-bin rounding differs
    assert np.corrcoef(scores, card.pd(x))[0, 1] < -0.95
    table = card.table()
    assert {"feature", "bin", "count", "bad_rate", "woe", "iv", "points"} <= set(table[0])


def test_grades_run_from_a_for_the_best_fifth_to_e() -> None:
    x, y = synthetic()
    card = train_scorecard(x, y, FEATURES)
    grades = card.grade(card.score(x))
    shares = {g: float(np.mean(grades == g)) for g in "ABCDE"}
    assert all(0.1 < share < 0.35 for share in shares.values())
    bad_rates = [float(y[grades == g].mean()) for g in "ABCDE"]
    assert bad_rates == sorted(bad_rates)
    assert [c["grade"] for c in card.grade_cutoffs] == list("ABCDE")


def test_a_scorecard_read_back_from_json_scores_the_same() -> None:
    x, y = synthetic()
    card = train_scorecard(x, y, FEATURES, scaling=Scaling(base_score=650, base_odds=30, pdo=25))
    again = Scorecard.from_json(card.to_json())
    assert np.array_equal(again.score(x), card.score(x))
    assert list(again.grade(again.score(x))) == list(card.grade(card.score(x)))

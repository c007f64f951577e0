"""Population stability index (PSI) of a score between training and recent scoring.

PSI = Σ (actualᵢ − expectedᵢ) · ln(actualᵢ / expectedᵢ) over bins fixed on the training scores (deciles).
Reading: < 0.10 stable, 0.10–0.25 watch, > 0.25 the population has shifted (warning: review the model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

WARNING_THRESHOLD = 0.25
WATCH_THRESHOLD = 0.10
EPSILON = 1e-4  # a bin with no rows counts as 0.01 % so the logarithm stays finite


@dataclass(frozen=True)
class Reference:
    """The training score distribution: inner bin edges and the share of training rows in each bin."""

    edges: list[float]
    shares: list[float]

    def to_json(self) -> dict[str, Any]:
        return {"edges": self.edges, "shares": self.shares}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reference:
        return cls(edges=[float(e) for e in data["edges"]], shares=[float(s) for s in data["shares"]])


def reference_of(scores: np.ndarray, bins: int = 10) -> Reference:
    scores = np.asarray(scores, dtype=float)
    edges = np.unique(np.quantile(scores, np.linspace(0, 1, bins + 1)[1:-1]))
    return Reference(edges=[float(e) for e in edges], shares=[float(s) for s in shares_of(scores, edges)])


def shares_of(scores: np.ndarray, edges: Any) -> np.ndarray:
    counts = np.bincount(np.searchsorted(np.asarray(edges, dtype=float), np.asarray(scores, dtype=float),
                                         side="right"), minlength=len(edges) + 1)
    return counts / max(counts.sum(), 1)


def psi_from_shares(expected: Any, actual: Any) -> float:
    e = np.clip(np.asarray(expected, dtype=float), EPSILON, None)
    a = np.clip(np.asarray(actual, dtype=float), EPSILON, None)
    return float(np.sum((a - e) * np.log(a / e)))


def psi(reference: Reference, recent_scores: np.ndarray) -> float:
    return psi_from_shares(reference.shares, shares_of(recent_scores, reference.edges))


def status_of(value: float) -> str:
    if value > WARNING_THRESHOLD:
        return "warning"
    if value > WATCH_THRESHOLD:
        return "watch"
    return "stable"

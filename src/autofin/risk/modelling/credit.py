"""Credit model training and scoring: the PD model and the scorecard from one CSV, measured on held-out rows.

Rows are split once (seeded): 20 % held out (stratified by the target, or the most recent 20 % by a time column),
the rest into fit rows (75 %) and validation rows (25 %, early stopping and calibration). The metrics are measured on
the held-out rows only. After measuring, the final PD trees are grown again on fit + held-out rows with the number of
rounds early stopping chose, and the final scorecard is binned and fitted on all rows — more data, same recipe; the
reported metrics describe that recipe on rows it never saw.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from autofin.risk.modelling import evaluation, psi
from autofin.risk.modelling.features import (
    DataProblem,
    Feature,
    FeatureSchema,
    code_keys,
    infer_schema,
    rate_candidates,
    require_columns,
    transform,
)
from autofin.risk.modelling.pd_model import PDModel, train_pd
from autofin.risk.modelling.scorecard import Scaling, Scorecard, train_scorecard

Progress = Callable[[str, int, int], None]
POSITIVE_WORDS = {"1", "yes", "y", "true", "bad", "default", "defaulted", "是", "违约", "坏"}
NEGATIVE_WORDS = {"0", "no", "n", "false", "good", "non-default", "否", "正常", "好"}


def frame_sha256(frame: pd.DataFrame) -> str:
    """A fingerprint of the training data (header and every cell as text)."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame.astype("string"), index=False).to_numpy().tobytes())
    return digest.hexdigest()


def binary_target(values: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """The target as 0/1 (1 = bad), the mask of rows that have one, and the mapping used.

    Two distinct values are required: 0/1, 1/2 (the higher number is bad, as in the German credit data), or words
    such as yes/no, bad/good, 违约/正常.
    """
    text = values.astype("string").str.strip()
    present = text.notna().to_numpy() & (text != "").fillna(False).to_numpy()
    distinct = sorted(set(text[present].tolist()))
    if len(distinct) < 2:
        shown = distinct[0] if distinct else "nothing"
        raise DataProblem(
            f"target '{name}' has only one class ({shown}); a default model needs both good and bad examples.",
            f"目标列“{name}”只有一个取值（{shown}）；违约模型需要同时有好样本和坏样本。",
        )
    if len(distinct) > 2:
        raise DataProblem(
            f"target '{name}' has {len(distinct)} different values ({', '.join(distinct[:6])} …); give a 0/1 column "
            "(1 = default).",
            f"目标列“{name}”有 {len(distinct)} 种取值；请提供 0/1 列（1 = 违约）。",
        )
    numbers = pd.to_numeric(pd.Series(distinct), errors="coerce")
    if numbers.notna().all():
        bad = distinct[int(np.argmax(numbers.to_numpy()))]
    elif distinct[0].lower() in POSITIVE_WORDS or distinct[1].lower() in NEGATIVE_WORDS:
        bad = distinct[0]
    elif distinct[1].lower() in POSITIVE_WORDS or distinct[0].lower() in NEGATIVE_WORDS:
        bad = distinct[1]
    else:
        raise DataProblem(f"target '{name}': cannot tell which of {distinct} means default; use 0/1.",
                          f"目标列“{name}”：无法判断 {distinct} 中哪个表示违约，请使用 0/1。")
    mapping = {value: int(value == bad) for value in distinct}
    y = np.array([mapping.get(v, -1) if ok else -1 for v, ok in zip(text.fillna("").tolist(), present, strict=True)])
    return y, present, mapping


@dataclass
class CreditModel:
    """A trained PD model and scorecard, ready to score (also what :mod:`artifacts` loads from a directory)."""

    schema: FeatureSchema
    pd_model: PDModel
    scorecard: Scorecard
    metrics: dict[str, Any] = field(default_factory=dict)
    psi_reference: dict[str, Any] = field(default_factory=dict)  # {"score": Reference json, "pd": …}
    info: dict[str, Any] = field(default_factory=dict)  # rows, target mapping, data hash, trained at …

    def score_matrix(self, matrix: np.ndarray, *, reasons: bool = True, threads: int = 0) -> dict[str, Any]:
        probabilities = self.pd_model.pd(matrix, threads=threads)
        scores = self.scorecard.score(matrix)
        out: dict[str, Any] = {"pd": probabilities, "score": scores, "grade": self.scorecard.grade(scores)}
        if reasons:
            out["reasons"] = self.pd_model.reasons(matrix, threads=threads)
        return out

    def score_batch(self, matrix: np.ndarray, *, threads: int = 0, exact_reasons: bool = False) -> dict[str, Any]:
        """Like :meth:`score_matrix`, with each row's reasons as joined text (the batch path: no per-row objects).

        Batch reasons use the trees' path attribution unless ``exact_reasons`` (TreeSHAP, ~1 ms a row)."""
        out = self.score_matrix(matrix, reasons=False, threads=threads)
        table = self.pd_model.reason_table(matrix, threads=threads, exact=exact_reasons)
        out["reasons_en"], out["reasons_zh"] = table.texts()
        return out

    def score_frame(self, frame: pd.DataFrame, *, threads: int = 0, exact_reasons: bool = False) -> pd.DataFrame:
        """One output row per input row: id (or row number), pd, score, grade, reasons (en), reasons_zh."""
        matrix = transform(frame, self.schema)
        result = self.score_batch(matrix, threads=threads, exact_reasons=exact_reasons)
        id_column = self.schema.id_column
        if id_column and id_column in frame.columns:
            ids = frame[id_column].to_numpy()
            id_name = id_column
        else:
            ids = np.arange(1, len(frame) + 1)
            id_name = "row"
        return pd.DataFrame({
            id_name: ids,
            "pd": np.round(result["pd"], 6),
            "score": result["score"],
            "grade": result["grade"],
            "reasons": result["reasons_en"],
            "reasons_zh": result["reasons_zh"],
        })


RATE_SMOOTHING = 20.0  # pseudo-rows at the overall rate added to each code's own rows


def _rates(keys: pd.Series, y: np.ndarray, prior: float) -> dict[str, float]:
    table = pd.DataFrame({"key": keys.to_numpy(), "y": y}).dropna().groupby("key")["y"].agg(["sum", "count"])
    rates = (table["sum"] + prior * RATE_SMOOTHING) / (table["count"] + RATE_SMOOTHING)
    return {str(k): float(v) for k, v in rates.items()}


def add_rate_features(schema: FeatureSchema, frame: pd.DataFrame, matrix: np.ndarray, y: np.ndarray,
                      train_rows: np.ndarray, seed: int) -> tuple[FeatureSchema, np.ndarray]:
    """Smoothed default rate per code (dealer, branch, officer …) learnt from the training rows only.

    The stored mapping comes from all training rows; the training rows themselves get out-of-fold rates (5 folds)
    so a row never sees its own target; the held-out rows get the stored mapping.
    """
    from sklearn.model_selection import StratifiedKFold

    candidates = rate_candidates(schema, frame.iloc[train_rows])
    if not candidates:
        return schema, matrix
    prior = float(y[train_rows].mean())
    columns = []
    for feature in candidates:
        keys = code_keys(frame[feature.source])
        mapping = _rates(keys.iloc[train_rows], y[train_rows], prior)
        new = Feature(f"{feature.source}:default_rate", feature.source, "numeric", "rate", mapping=mapping,
                      default=prior)
        values = keys.map(mapping).astype(float).fillna(prior).to_numpy().copy()
        folds = StratifiedKFold(5, shuffle=True, random_state=seed)
        for inner, outer in folds.split(train_rows, y[train_rows]):
            fold_map = _rates(keys.iloc[train_rows[inner]], y[train_rows[inner]], prior)
            fold_values = keys.iloc[train_rows[outer]].map(fold_map).astype(float).fillna(prior)
            values[train_rows[outer]] = fold_values.to_numpy()
        schema.features.append(new)
        columns.append(values)
    return schema, np.column_stack([matrix, *columns])


def _split(y: np.ndarray, frame: pd.DataFrame, seed: int, test_share: float,
           time_column: str | None, recent_is_low: bool) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(len(y))
    if time_column:
        order = pd.to_numeric(frame[time_column], errors="coerce").to_numpy()
        ranked = np.argsort(order if not recent_is_low else -order, kind="mergesort")
        cut = int(len(rows) * (1 - test_share))
        return np.sort(ranked[:cut]), np.sort(ranked[cut:])
    train, test = train_test_split(rows, test_size=test_share, random_state=seed, stratify=y)
    return np.sort(train), np.sort(test)


def train_credit(
    frame: pd.DataFrame,
    *,
    target: str,
    id_column: str | None = None,
    drop: list[str] | None = None,
    seed: int = 7,
    test_share: float = 0.2,
    time_column: str | None = None,
    recent_is_low: bool = False,
    max_rounds: int = 2000,
    early_stopping: int = 100,
    params: dict[str, Any] | None = None,
    scaling: Scaling | None = None,
    refit: bool = True,
    progress: Progress | None = None,
    today: date | None = None,
) -> CreditModel:
    """Train and measure the PD model and the scorecard (see the module docstring for the row discipline)."""
    require_columns(frame, [c for c in [target, id_column, time_column, *(drop or [])] if c], "training data")
    y_all, present, mapping = binary_target(frame[target], target)
    data = frame.loc[present].reset_index(drop=True)
    y = y_all[present].astype(float)
    if len(data) < 50:
        raise DataProblem(f"only {len(data)} rows with a target; a default model needs at least 50.",
                          f"只有 {len(data)} 行有目标值；违约模型至少需要 50 行。")
    if min(y.sum(), len(y) - y.sum()) < 10:
        raise DataProblem(f"target '{target}' has fewer than 10 rows in one class; too few to learn and measure.",
                          f"目标列“{target}”中某一类少于 10 行，无法训练和评估。")
    schema = infer_schema(data, target=target, id_column=id_column, drop=drop, today=today)
    matrix = transform(data, schema)
    train_rows, test_rows = _split(y, data, seed, test_share, time_column, recent_is_low)
    schema, matrix = add_rate_features(schema, data, matrix, y, train_rows, seed)
    fit_rows, valid_rows = train_test_split(train_rows, test_size=0.25, random_state=seed + 1,
                                            stratify=y[train_rows])

    def pd_progress(done: int, total: int) -> None:
        if progress is not None:
            progress("pd", done, total)

    measured = train_pd(schema, matrix[fit_rows], y[fit_rows], matrix[valid_rows], y[valid_rows], params=params,
                        max_rounds=max_rounds, early_stopping=early_stopping, progress=pd_progress)
    pd_test = measured.pd(matrix[test_rows])
    if progress is not None:
        progress("scorecard", 0, 2)
    card_measured = train_scorecard(matrix[train_rows], y[train_rows], schema.features, scaling=scaling)
    card_test_scores = card_measured.score(matrix[test_rows])
    y_test = y[test_rows]
    metrics: dict[str, Any] = {
        "split": {"fit": len(fit_rows), "validation": len(valid_rows), "held_out": len(test_rows),
                  "method": f"out-of-time by {time_column}" if time_column else "stratified random"},
        "pd": evaluation.binary_report(y_test, pd_test),
        "scorecard": evaluation.binary_report(y_test, card_measured.pd(matrix[test_rows])),
        "best_iteration": measured.best_iteration,
    }
    metrics["scorecard"]["auc_of_points"] = evaluation.auc(y_test, -card_test_scores.astype(float))
    grades = card_measured.grade(card_test_scores)
    metrics["scorecard"]["grades"] = [
        {"grade": g, "count": int((grades == g).sum()),
         "bad_rate": float(y_test[grades == g].mean()) if (grades == g).any() else None}
        for g in ("A", "B", "C", "D", "E")
    ]
    if refit:
        refit_rows = np.sort(np.r_[fit_rows, test_rows])
        final = train_pd(schema, matrix[fit_rows], y[fit_rows], matrix[valid_rows], y[valid_rows], params=params,
                         max_rounds=max_rounds, early_stopping=early_stopping,
                         refit_x=matrix[refit_rows], refit_y=y[refit_rows])
        card = train_scorecard(matrix, y, schema.features, scaling=scaling)
    else:
        final, card = measured, card_measured
    if progress is not None:
        progress("scorecard", 2, 2)
    metrics["pd"]["importance"] = final.importance()[:25]
    training_rows = train_rows
    reference = {
        "score": psi.reference_of(card.score(matrix[training_rows])).to_json(),
        "pd": psi.reference_of(final.pd(matrix[training_rows])).to_json(),
    }
    info = {"rows": len(data), "rows_without_target": int((~present).sum()), "target": target,
            "target_mapping": mapping, "bad_rate": float(y.mean()), "data_sha256": frame_sha256(frame),
            "refit_on_all_rows": refit, "seed": seed}
    return CreditModel(schema=schema, pd_model=final, scorecard=card, metrics=metrics, psi_reference=reference,
                       info=info)

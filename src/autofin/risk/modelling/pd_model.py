"""Probability-of-default model (违约概率模型): LightGBM, early stopping, Platt calibration, reason codes in words.

Training uses three kinds of rows, never mixed: *fit* rows grow the trees, *validation* rows stop the boosting
(early stopping) and fit the calibration (Platt: a logistic regression on the raw log-odds, so the calibrated PD keeps
the ranking), and *held-out* rows (kept by the caller) measure the model. Reason codes come from the model's own
per-applicant feature contributions (LightGBM ``pred_contrib``, SHAP values in log-odds): the features pushing the
applicant's risk up the most, each said in words with the applicant's value — PIPL Art. 24 asks that automated
decisions be explainable.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
from sklearn.linear_model import LogisticRegression

from autofin.risk.modelling.features import Feature, FeatureSchema, describe_value

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 5.0,
    "max_cat_to_onehot": 8,
    "cat_smooth": 20,
    "min_data_per_group": 50,
    "verbose": -1,
    "seed": 7,
    "num_threads": 2,
}

# Plain-language names of well-known credit columns (English, Chinese); others are shown by their column name.
LABELS: dict[str, tuple[str, str]] = {
    "PERFORM_CNS.SCORE": ("credit bureau score", "征信评分"),
    "PERFORM_CNS.SCORE.DESCRIPTION": ("credit bureau risk band", "征信风险等级"),
    "ltv": ("loan-to-value", "贷款价值比"),
    "disbursed_amount": ("loan amount", "放款金额"),
    "asset_cost": ("vehicle price", "车辆价格"),
    "age": ("applicant age", "申请人年龄"),
    "Employment.Type": ("employment type", "就业类型"),
    "DaysSincedisbursal": ("days since disbursal", "放款天数"),
    "PRI.NO.OF.ACCTS": ("number of credit accounts", "信贷账户数"),
    "PRI.ACTIVE.ACCTS": ("active credit accounts", "在用信贷账户数"),
    "PRI.OVERDUE.ACCTS": ("overdue credit accounts", "逾期账户数"),
    "PRI.CURRENT.BALANCE": ("outstanding credit balance", "信贷余额"),
    "PRI.SANCTIONED.AMOUNT": ("credit limits granted", "授信总额"),
    "PRI.DISBURSED.AMOUNT": ("credit disbursed", "已放款总额"),
    "PRIMARY.INSTAL.AMT": ("monthly instalments on other loans", "其他贷款月供"),
    "SEC.INSTAL.AMT": ("instalments on secondary loans", "次级账户月供"),
    "NEW.ACCTS.IN.LAST.SIX.MONTHS": ("new accounts in the last six months", "近六个月新开账户数"),
    "DELINQUENT.ACCTS.IN.LAST.SIX.MONTHS": ("delinquent accounts in the last six months", "近六个月逾期账户数"),
    "NO.OF_INQUIRIES": ("credit inquiries", "征信查询次数"),
    "PRI.CURRENT.BALANCE/PRI.SANCTIONED.AMOUNT": ("credit utilisation", "授信使用率"),
    "PRI.ACTIVE.ACCTS/PRI.NO.OF.ACCTS": ("share of accounts still active", "在用账户占比"),
    "PRI.OVERDUE.ACCTS/PRI.NO.OF.ACCTS": ("share of accounts overdue", "逾期账户占比"),
    "PRI.OVERDUE.ACCTS/PRI.ACTIVE.ACCTS": ("share of active accounts overdue", "在用账户逾期占比"),
    "disbursed_amount/asset_cost": ("loan to vehicle price", "贷款占车价比例"),
    "PRIMARY.INSTAL.AMT/disbursed_amount": ("other instalments to loan amount", "其他月供与贷款额之比"),
    "PRI.DISBURSED.AMOUNT/PRI.SANCTIONED.AMOUNT": ("share of credit limits drawn", "授信提款比例"),
    "branch_id": ("branch", "网点"),
    "supplier_id": ("dealer", "经销商"),
    "manufacturer_id": ("manufacturer", "厂商"),
    "State_ID": ("state", "地区"),
    "Employee_code_ID": ("loan officer", "客户经理"),
}


def label_of(name: str) -> tuple[str, str]:
    return LABELS.get(name, (name, name))


@dataclass
class Reason:
    feature: str
    value: str
    contribution: float  # log-odds added to this applicant's risk
    en: str
    zh: str


def reason_text(feature: Feature, value: float, median: float | None) -> tuple[str, str]:
    """'credit bureau score low (PERFORM_CNS.SCORE = 0)' / '征信评分偏低（PERFORM_CNS.SCORE = 0）'."""
    en, zh = label_of(feature.name)
    shown = describe_value(feature, value)
    if feature.kind == "categorical" or shown == "missing" or median is None:
        if shown == "missing":
            return f"{en} missing ({feature.name} = missing)", f"{zh}缺失（{feature.name} = 缺失）"
        return f"{en} ({feature.name} = {shown})", f"{zh}（{feature.name} = {shown}）"
    if value < median:
        return f"{en} low ({feature.name} = {shown})", f"{zh}偏低（{feature.name} = {shown}）"
    if value > median:
        return f"{en} high ({feature.name} = {shown})", f"{zh}偏高（{feature.name} = {shown}）"
    return f"{en} ({feature.name} = {shown})", f"{zh}（{feature.name} = {shown}）"


@dataclass
class PDModel:
    booster: lgb.Booster
    schema: FeatureSchema
    platt: tuple[float, float]  # calibrated PD = σ(a · raw_log_odds + b)
    medians: list[float | None]
    best_iteration: int

    def raw_log_odds(self, matrix: np.ndarray, *, threads: int = 0) -> np.ndarray:
        return np.asarray(self.booster.predict(matrix, raw_score=True, num_threads=threads), dtype=float)

    def pd(self, matrix: np.ndarray, *, threads: int = 0) -> np.ndarray:
        a, b = self.platt
        return 1.0 / (1.0 + np.exp(-(a * self.raw_log_odds(matrix, threads=threads) + b)))

    def reasons(self, matrix: np.ndarray, top: int = 3, *, threads: int = 0) -> list[list[Reason]]:
        """Per row, the ``top`` features that raise the risk the most (positive contributions only)."""
        contrib = np.asarray(self.booster.predict(matrix, pred_contrib=True, num_threads=threads), dtype=float)
        contrib = contrib[:, :-1]  # the last column is the expected value
        out: list[list[Reason]] = []
        for i in range(len(matrix)):
            row = contrib[i]
            order = np.argsort(-row)[:top]
            reasons = []
            for j in order:
                if row[j] <= 0:
                    break
                feature = self.schema.features[j]
                en, zh = reason_text(feature, matrix[i, j], self.medians[j])
                reasons.append(Reason(feature.name, describe_value(feature, matrix[i, j]), float(row[j]), en, zh))
            out.append(reasons)
        return out

    def importance(self) -> list[dict[str, Any]]:
        gains = self.booster.feature_importance(importance_type="gain")
        total = float(gains.sum()) or 1.0
        rows = [{"feature": f.name, "gain_share": float(g) / total}
                for f, g in zip(self.schema.features, gains, strict=True)]
        return sorted(rows, key=lambda r: -r["gain_share"])


def _medians(matrix: np.ndarray, schema: FeatureSchema) -> list[float | None]:
    out: list[float | None] = []
    for j, feature in enumerate(schema.features):
        column = matrix[:, j]
        column = column[~np.isnan(column)]
        out.append(None if feature.kind == "categorical" or column.size == 0 else float(np.median(column)))
    return out


def fit_platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    model = LogisticRegression(C=1e6, max_iter=1000)
    model.fit(raw.reshape(-1, 1), y)
    return float(model.coef_[0][0]), float(model.intercept_[0])


def train_pd(
    schema: FeatureSchema,
    fit_x: np.ndarray,
    fit_y: np.ndarray,
    valid_x: np.ndarray,
    valid_y: np.ndarray,
    *,
    params: dict[str, Any] | None = None,
    max_rounds: int = 2000,
    early_stopping: int = 100,
    progress: Callable[[int, int], None] | None = None,
    refit_x: np.ndarray | None = None,
    refit_y: np.ndarray | None = None,
) -> PDModel:
    """Boost on the fit rows until the validation log-loss stops improving; calibrate on the validation rows.

    With ``refit_x``/``refit_y`` the final trees are grown again on those rows (e.g. fit + held-out rows, after the
    held-out measurement) with the number of rounds early stopping chose; calibration stays on the validation rows.
    """
    settings = {**DEFAULT_PARAMS, **(params or {})}
    categorical: list[int] | Literal["auto"] = schema.categorical_indices or "auto"
    names = model_feature_names(schema)
    train_set = lgb.Dataset(fit_x, fit_y, feature_name=names, categorical_feature=categorical, free_raw_data=False)
    valid_set = lgb.Dataset(valid_x, valid_y, reference=train_set, free_raw_data=False)

    def report(env: Any) -> None:
        if progress is not None:
            progress(env.iteration + 1, max_rounds)

    booster = lgb.train(settings, train_set, num_boost_round=max_rounds, valid_sets=[valid_set],
                        callbacks=[lgb.early_stopping(early_stopping, verbose=False), report])
    best = max(int(booster.best_iteration or booster.current_iteration()), 1)
    if refit_x is not None and refit_y is not None:
        full = lgb.Dataset(refit_x, refit_y, feature_name=names, categorical_feature=categorical)
        booster = lgb.train(settings, full, num_boost_round=best)
    else:
        booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
    raw = np.asarray(booster.predict(valid_x, raw_score=True), dtype=float)
    platt = fit_platt(raw, valid_y)
    medians = _medians(refit_x if refit_x is not None else fit_x, schema)
    return PDModel(booster=booster, schema=schema, platt=platt, medians=medians, best_iteration=best)


def model_feature_names(schema: FeatureSchema) -> list[str]:
    """Names LightGBM accepts (no JSON specials, unique); the schema keeps the real names."""
    names = []
    for j, name in enumerate(schema.names):
        cleaned = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "._-" else "_" for ch in name)
        names.append(f"f{j}_{cleaned}"[:60])
    return names


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))

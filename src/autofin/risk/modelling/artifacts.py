"""Saving and loading trained models as plain files (no pickle: a model directory may come from a user).

A credit model directory holds ``pd_model.txt`` (LightGBM's own text format), ``scorecard.json`` (bins, WoE,
coefficients, points, grade cut-offs and the readable bin table) and ``metadata.json`` (feature schema, Platt
calibration, medians for reason codes, metrics, PSI reference, training facts). A valuation directory holds
``valuation_model.txt`` and ``metadata.json``. Loading validates the files' kind and format version.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from autofin.risk.modelling.credit import CreditModel
from autofin.risk.modelling.features import DataProblem, FeatureSchema
from autofin.risk.modelling.pd_model import PDModel
from autofin.risk.modelling.scorecard import Scorecard
from autofin.risk.modelling.valuation import ValuationModel

FORMAT = 1
CREDIT_KIND = "credit"
VALUATION_KIND = "valuation"


def _clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(_clean(data), ensure_ascii=False, indent=1), encoding="utf-8")


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise DataProblem(f"{path.parent}: not a model directory ({path.name} is missing).",
                          f"{path.parent}：不是模型目录（缺少 {path.name}）。")
    return json.loads(path.read_text(encoding="utf-8"))


def save_credit(model: CreditModel, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pd_model.txt").write_text(model.pd_model.booster.model_to_string(), encoding="utf-8")
    write_json(directory / "scorecard.json", model.scorecard.to_json())
    write_json(directory / "metadata.json", {
        "format": FORMAT,
        "kind": CREDIT_KIND,
        "schema": model.schema.to_json(),
        "platt": list(model.pd_model.platt),
        "medians": model.pd_model.medians,
        "best_iteration": model.pd_model.best_iteration,
        "metrics": model.metrics,
        "psi_reference": model.psi_reference,
        "info": model.info,
    })
    return directory


def _check_kind(meta: dict[str, Any], kind: str, directory: Path) -> None:
    if meta.get("kind") != kind or meta.get("format") != FORMAT:
        raise DataProblem(f"{directory}: holds a '{meta.get('kind')}' model (format {meta.get('format')}), "
                          f"not a {kind} model of format {FORMAT}.",
                          f"{directory}：这是“{meta.get('kind')}”模型，不是 {kind} 模型。")


def load_credit(directory: Path) -> CreditModel:
    directory = Path(directory)
    meta = _read_json(directory / "metadata.json")
    _check_kind(meta, CREDIT_KIND, directory)
    schema = FeatureSchema.from_json(meta["schema"])
    booster = lgb.Booster(model_str=(directory / "pd_model.txt").read_text(encoding="utf-8"))
    platt = (float(meta["platt"][0]), float(meta["platt"][1]))
    pd_model = PDModel(booster=booster, schema=schema, platt=platt, medians=meta["medians"],
                       best_iteration=int(meta["best_iteration"]))
    scorecard = Scorecard.from_json(_read_json(directory / "scorecard.json"))
    return CreditModel(schema=schema, pd_model=pd_model, scorecard=scorecard, metrics=meta["metrics"],
                       psi_reference=meta["psi_reference"], info=meta["info"])


def save_valuation(model: ValuationModel, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "valuation_model.txt").write_text(model.booster.model_to_string(), encoding="utf-8")
    write_json(directory / "metadata.json", {
        "format": FORMAT,
        "kind": VALUATION_KIND,
        "schema": model.schema.to_json(),
        "residual_low": model.residual_low,
        "residual_high": model.residual_high,
        "metrics": model.metrics,
        "info": model.info,
    })
    return directory


def load_valuation(directory: Path) -> ValuationModel:
    directory = Path(directory)
    meta = _read_json(directory / "metadata.json")
    _check_kind(meta, VALUATION_KIND, directory)
    booster = lgb.Booster(model_str=(directory / "valuation_model.txt").read_text(encoding="utf-8"))
    return ValuationModel(booster=booster, schema=FeatureSchema.from_json(meta["schema"]),
                          residual_low=float(meta["residual_low"]), residual_high=float(meta["residual_high"]),
                          metrics=meta["metrics"], info=meta["info"])


def kind_of(directory: Path) -> str:
    return str(_read_json(Path(directory) / "metadata.json").get("kind"))

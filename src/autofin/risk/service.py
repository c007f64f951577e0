"""Use cases of the risk model registry: train, list, approve (second person), promote, retire, score, PSI check.

Each function checks the permission, validates, changes, records one audit row and returns; the caller commits.
Model files live under ``settings.data_dir / "models" / <name> / v<number>``; the registry row holds their path.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, or_, select

from autofin.audit import service as audit
from autofin.db.paging import fetch_page
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.risk import errors
from autofin.risk.modelling import artifacts, psi
from autofin.risk.modelling.credit import CreditModel, train_credit
from autofin.risk.modelling.features import DataProblem, Feature, read_csv
from autofin.risk.modelling.valuation import ValuationModel, train_valuation
from autofin.risk.models import ModelKind, ModelStatus, PsiCheck, RiskModel, ScoreLog
from autofin.risk.permissions import MODEL_APPROVE, MODEL_SCORE, MODEL_TRAIN, MODEL_VIEW

NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{1,63}$")
PSI_WINDOW = 5000  # most recent production scores compared with the training distribution
_LOADED: dict[str, CreditModel | ValuationModel] = {}  # artifact path → loaded model (files never change)


@dataclass(frozen=True)
class TrainCommand:
    name: str
    kind: str
    target: str
    id_column: str | None = None
    drop: tuple[str, ...] = ()
    max_rounds: int = 2000


def models_dir(uow: UnitOfWork) -> Path:
    return Path(uow.settings.data_dir) / "models"


def _summary(kind: str, metrics: dict[str, Any]) -> dict[str, Any]:
    if kind == ModelKind.VALUATION:
        return {k: metrics.get(k) for k in ("mape", "median_ape", "within_10_percent", "interval_coverage")}
    return {f"{part}_{k}": metrics[part][k] for part in ("pd", "scorecard") for k in ("auc", "ks", "gini")}


def _get(uow: UnitOfWork, model_id: int) -> RiskModel:
    model = uow.session.get(RiskModel, model_id)
    if model is None:
        raise errors.model_not_found(model_id)
    return model


def check_command(cmd: TrainCommand) -> None:
    if not NAME.match(cmd.name):
        raise errors.bad_data(f"Model name '{cmd.name}' must be 2–64 lower-case letters, digits, '-' or '_'.",
                              f"模型名称“{cmd.name}”须为 2–64 位小写字母、数字、“-”或“_”。", "name")
    if cmd.kind not in (ModelKind.PD, ModelKind.VALUATION):
        raise errors.bad_data(f"Kind '{cmd.kind}' cannot be trained here; use 'pd' or 'valuation'.",
                              f"类型“{cmd.kind}”不能在此训练，请使用 pd 或 valuation。", "kind")


def fit_artifact(cmd: TrainCommand, csv_data: bytes,
                 progress: Callable[[str, int, int], None] | None = None) -> CreditModel | ValuationModel:
    """Train (no database): the PD model and scorecard, or the valuation model, from CSV bytes."""
    try:
        frame = read_csv(io.BytesIO(csv_data))
        if cmd.kind == ModelKind.PD:
            return train_credit(frame, target=cmd.target, id_column=cmd.id_column, drop=list(cmd.drop),
                                max_rounds=cmd.max_rounds, progress=progress)
        return train_valuation(frame, target=cmd.target, id_column=cmd.id_column, drop=list(cmd.drop),
                               max_rounds=cmd.max_rounds, progress=progress)
    except DataProblem as problem:
        raise errors.bad_data(problem.en, problem.zh) from None


def train_model(uow: UnitOfWork, actor: Actor, cmd: TrainCommand, csv_data: bytes) -> RiskModel:
    """Train a model from CSV bytes, store its files, register it as a draft."""
    actor.require(MODEL_TRAIN)
    check_command(cmd)
    return register_trained(uow, actor, cmd, fit_artifact(cmd, csv_data))


def register_trained(uow: UnitOfWork, actor: Actor, cmd: TrainCommand,
                     trained: CreditModel | ValuationModel) -> RiskModel:
    """Store a trained model's files under the next version number of its name and register it as a draft."""
    actor.require(MODEL_TRAIN)
    number = (uow.session.execute(select(func.max(RiskModel.number)).where(RiskModel.name == cmd.name))
              .scalar_one() or 0) + 1
    directory = models_dir(uow) / cmd.name / f"v{number}"
    if directory.exists():  # left over from a transaction that was rolled back
        shutil.rmtree(directory)
    if isinstance(trained, CreditModel):
        artifacts.save_credit(trained, directory)
    else:
        artifacts.save_valuation(trained, directory)
    model = RiskModel(
        name=cmd.name, number=number, kind=cmd.kind, status=ModelStatus.DRAFT.value, is_production=False,
        target=cmd.target, data_sha256=trained.info["data_sha256"], data_rows=int(trained.info["rows"]),
        features=[{"name": f.name, "source": f.source, "kind": f.kind, "parser": f.parser}
                  for f in trained.schema.features],
        metrics=artifacts._clean({"summary": _summary(cmd.kind, trained.metrics), **_light(trained.metrics)}),
        artifact_path=str(directory), trained_by_id=actor.user_id, trained_by=actor.username, trained_at=utcnow(),
    )
    uow.session.add(model)
    uow.flush()
    audit.record(uow, actor, "risk.model.train", "risk_model", model.id,
                 after={"name": model.name, "number": number, "kind": model.kind, "data_sha256": model.data_sha256,
                        **model.metrics["summary"]})
    return model


def _light(metrics: dict[str, Any]) -> dict[str, Any]:
    """The metrics worth keeping in the registry row (the full set stays in the model's metadata.json)."""
    return {k: v for k, v in metrics.items() if k not in ("roc",)}


def list_models(uow: UnitOfWork, actor: Actor, *, q: str | None = None, status: str | None = None,
                page: int = 1, size: int = 50) -> tuple[list[RiskModel], int]:
    actor.require(MODEL_VIEW)
    stmt = select(RiskModel)
    if q:
        stmt = stmt.where(or_(RiskModel.name.contains(q), RiskModel.target.contains(q)))
    if status:
        stmt = stmt.where(RiskModel.status == status)
    return fetch_page(uow.session, stmt, (RiskModel.name, RiskModel.number.desc()), page, size)


def get_model(uow: UnitOfWork, actor: Actor, model_id: int) -> RiskModel:
    actor.require(MODEL_VIEW)
    return _get(uow, model_id)


def approve_model(uow: UnitOfWork, actor: Actor, model_id: int) -> RiskModel:
    """A second person (never the trainer) approves a draft."""
    actor.require(MODEL_APPROVE)
    model = _get(uow, model_id)
    if model.status != ModelStatus.DRAFT:
        raise errors.wrong_status("approve", model.status, ModelStatus.DRAFT)
    if model.trained_by == actor.username or (actor.user_id is not None and model.trained_by_id == actor.user_id):
        raise errors.self_approval()
    model.status = ModelStatus.APPROVED.value
    model.approved_by_id = actor.user_id
    model.approved_by = actor.username
    model.approved_at = utcnow()
    uow.flush()
    audit.record(uow, actor, "risk.model.approve", "risk_model", model.id,
                 before={"status": ModelStatus.DRAFT.value}, after={"status": model.status})
    return model


def promote_model(uow: UnitOfWork, actor: Actor, model_id: int) -> RiskModel:
    """Put an approved version into production; the version in production before it is retired."""
    actor.require(MODEL_APPROVE)
    model = _get(uow, model_id)
    if model.status != ModelStatus.APPROVED:
        raise errors.wrong_status("promote", model.status, ModelStatus.APPROVED)
    current = uow.session.execute(
        select(RiskModel).where(RiskModel.name == model.name, RiskModel.is_production.is_(True))
    ).scalar_one_or_none()
    if current is not None:
        current.is_production = False
        current.status = ModelStatus.RETIRED.value
        current.retired_at = utcnow()
        uow.flush()
        audit.record(uow, actor, "risk.model.retire", "risk_model", current.id,
                     before={"status": ModelStatus.PRODUCTION.value}, after={"status": current.status})
    model.status = ModelStatus.PRODUCTION.value
    model.is_production = True
    model.promoted_at = utcnow()
    uow.flush()
    audit.record(uow, actor, "risk.model.promote", "risk_model", model.id,
                 before={"status": ModelStatus.APPROVED.value}, after={"status": model.status})
    return model


def retire_model(uow: UnitOfWork, actor: Actor, model_id: int) -> RiskModel:
    actor.require(MODEL_APPROVE)
    model = _get(uow, model_id)
    if model.status == ModelStatus.RETIRED:
        raise errors.wrong_status("retire", model.status, "draft, approved or production")
    before = model.status
    model.status = ModelStatus.RETIRED.value
    model.is_production = False
    model.retired_at = utcnow()
    uow.flush()
    audit.record(uow, actor, "risk.model.retire", "risk_model", model.id, before={"status": before},
                 after={"status": model.status})
    return model


def load_artifact(model: RiskModel) -> CreditModel | ValuationModel:
    """The model files of a registry row, loaded once per process."""
    loaded = _LOADED.get(model.artifact_path)
    if loaded is None:
        directory = Path(model.artifact_path)
        loaded = (artifacts.load_valuation(directory) if model.kind == ModelKind.VALUATION
                  else artifacts.load_credit(directory))
        _LOADED[model.artifact_path] = loaded
    return loaded


def production_model(uow: UnitOfWork, name: str) -> RiskModel:
    model = uow.session.execute(
        select(RiskModel).where(RiskModel.name == name, RiskModel.is_production.is_(True))
    ).scalar_one_or_none()
    if model is None:
        raise errors.no_production_model(name)
    return model


def estimate_vehicle_value(model_dir: Path, vehicle: dict[str, object]) -> dict[str, Any]:
    """Value one vehicle with the valuation model saved in ``model_dir`` (inputs it does not know are ignored)."""
    model = artifacts.load_valuation(model_dir)
    known = set(model.schema.sources)
    return score_inputs(model, {key: value for key, value in vehicle.items() if key in known})


def score_inputs(loaded: CreditModel | ValuationModel, inputs: dict[str, Any]) -> dict[str, Any]:
    """Score one applicant (or value one vehicle) in-process: the path application review uses."""
    from autofin.risk.modelling.features import transform_record

    known = set(loaded.schema.sources) | ({loaded.schema.id_column} if loaded.schema.id_column else set())
    unknown = sorted(set(inputs) - known)
    if unknown:
        raise errors.unknown_inputs(unknown)
    matrix = transform_record(inputs, loaded.schema)
    missing = [col for col in loaded.schema.sources if inputs.get(col) in (None, "")]
    if isinstance(loaded, ValuationModel):
        predicted, low, high = loaded.predict_matrix(matrix, threads=1)
        return {"predicted": round(float(predicted[0]), 2), "low": round(float(low[0]), 2),
                "high": round(float(high[0]), 2), "missing_inputs": missing}
    result = loaded.score_matrix(matrix, threads=1)
    reasons = result["reasons"][0]
    return {
        "pd": round(float(result["pd"][0]), 6),
        "score": int(result["score"][0]),
        "grade": str(result["grade"][0]),
        "reasons": [{"feature": r.feature, "value": r.value, "contribution": round(r.contribution, 4),
                     "en": r.en, "zh": r.zh} for r in reasons],
        "missing_inputs": missing,
    }


def score_one(uow: UnitOfWork, actor: Actor, name: str, inputs: dict[str, Any],
              subject_id: str | None = None) -> tuple[RiskModel, dict[str, Any], ScoreLog]:
    """Score with the production version of ``name`` and log the score with the version and the inputs."""
    actor.require(MODEL_SCORE)
    model = production_model(uow, name)
    output = score_inputs(load_artifact(model), inputs)
    log = ScoreLog(model_id=model.id, model_name=model.name, model_number=model.number, subject_id=subject_id,
                   inputs=artifacts._clean(inputs), output=output,
                   score=float(output.get("score", output.get("predicted", 0.0))), scored_by=actor.username,
                   scored_at=utcnow())
    uow.session.add(log)
    uow.flush()
    audit.record(uow, actor, "risk.model.score", "risk_model", model.id,
                 after={"log_id": log.id, "subject_id": subject_id, "model": f"{model.name} v{model.number}"})
    return model, output, log


def check_psi(uow: UnitOfWork, actor: Actor, model_id: int) -> PsiCheck | None:
    """PSI of the model's recent production scores against its training scores (None: no scores yet)."""
    actor.require(MODEL_VIEW)
    model = _get(uow, model_id)
    if model.kind == ModelKind.VALUATION:
        return None
    scores = uow.session.execute(
        select(ScoreLog.score).where(ScoreLog.model_id == model.id).order_by(ScoreLog.id.desc()).limit(PSI_WINDOW)
    ).scalars().all()
    if not scores:
        return None
    loaded = load_artifact(model)
    assert isinstance(loaded, CreditModel)  # noqa: S101 (kind checked above)
    reference = psi.Reference.from_json(loaded.psi_reference["score"])
    value = psi.psi(reference, np.array(scores, dtype=float))
    check = PsiCheck(model_id=model.id, psi=value, rows=len(scores), status=psi.status_of(value),
                     checked_at=utcnow())
    uow.session.add(check)
    uow.flush()
    audit.record(uow, actor, "risk.model.psi_check", "risk_model", model.id,
                 after={"psi": round(value, 4), "rows": len(scores), "status": check.status})
    return check


def psi_history(uow: UnitOfWork, actor: Actor, model_id: int) -> list[PsiCheck]:
    actor.require(MODEL_VIEW)
    return list(uow.session.execute(
        select(PsiCheck).where(PsiCheck.model_id == model_id).order_by(PsiCheck.id.desc()).limit(100)
    ).scalars().all())


def production_model_ids(uow: UnitOfWork) -> list[int]:
    return list(uow.session.execute(
        select(RiskModel.id).where(RiskModel.is_production.is_(True), RiskModel.kind != ModelKind.VALUATION)
    ).scalars().all())


def get_score_log(uow: UnitOfWork, actor: Actor, log_id: int) -> ScoreLog:
    """One logged production score: model version, inputs and output, to explain a decision later."""
    actor.require(MODEL_VIEW)
    log = uow.session.get(ScoreLog, log_id)
    if log is None:
        raise errors.score_log_not_found(log_id)
    return log


def recent_scores(uow: UnitOfWork, actor: Actor, model_id: int, limit: int = 20) -> list[ScoreLog]:
    actor.require(MODEL_VIEW)
    return list(uow.session.execute(
        select(ScoreLog).where(ScoreLog.model_id == model_id).order_by(ScoreLog.id.desc()).limit(limit)
    ).scalars().all())


def scorecard_table(uow: UnitOfWork, actor: Actor, model_id: int) -> list[dict[str, Any]]:
    """The scorecard's bin table (feature, bin, rows, bad rate, WoE, IV, points) of a PD model; empty otherwise."""
    actor.require(MODEL_VIEW)
    model = _get(uow, model_id)
    if model.kind == ModelKind.VALUATION:
        return []
    loaded = load_artifact(model)
    return loaded.scorecard.table() if isinstance(loaded, CreditModel) else []


def model_inputs(uow: UnitOfWork, actor: Actor, model_id: int) -> list[dict[str, Any]]:
    """The input columns a score of this model takes, with their kind and, for categories, the known values."""
    actor.require(MODEL_VIEW)
    loaded = load_artifact(_get(uow, model_id))
    first: dict[str, Feature] = {}
    for feature in loaded.schema.features:
        if feature.parser not in ("rate", "ratio"):
            first.setdefault(feature.source, feature)
    out = []
    for source in loaded.schema.sources:
        found = first.get(source)
        out.append({"name": source, "kind": found.kind if found else "numeric",
                    "parser": found.parser if found else "number",
                    "categories": list(found.categories) if found else []})
    return out

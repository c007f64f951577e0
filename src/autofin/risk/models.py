"""Risk model registry (模型注册表), the production score log and PSI checks.

A registered model is one trained version of a named model: ``draft`` → ``approved`` (by a second person, never the
trainer) → ``production`` (at most one per name, a partial unique index) → ``retired``. Every production score is
logged with the model version and the inputs, so a decision can be explained later.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import UTCDateTime
from autofin.kernel.clock import utcnow


class ModelKind(StrEnum):
    PD = "pd"  # PD model (LightGBM) together with its scorecard
    SCORECARD = "scorecard"  # reserved: a stand-alone scorecard
    VALUATION = "valuation"


class ModelStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PRODUCTION = "production"
    RETIRED = "retired"


class RiskModel(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "risk_models"

    name: Mapped[str] = mapped_column(String(64), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)  # the model version: 1, 2, 3 … per name
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=ModelStatus.DRAFT.value)
    is_production: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    target: Mapped[str] = mapped_column(String(100), nullable=False)
    data_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    data_rows: Mapped[int] = mapped_column(Integer, nullable=False)
    features: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)  # name, source, kind, parser
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    artifact_path: Mapped[str] = mapped_column(String(500), nullable=False)
    trained_by_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    trained_by: Mapped[str] = mapped_column(String(64), nullable=False)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("name", "number"),
        Index("uq_risk_models_one_production", "name", unique=True,
              postgresql_where=text("is_production"), sqlite_where=text("is_production")),
    )


class ScoreLog(IdMixin, Base):
    """One production score: which model version, what went in, what came out, when, for whom."""

    __tablename__ = "risk_score_log"

    model_id: Mapped[int] = mapped_column(ForeignKey("risk_models.id"), nullable=False, index=True)
    model_name: Mapped[str] = mapped_column(String(64), nullable=False)
    model_number: Mapped[int] = mapped_column(Integer, nullable=False)
    subject_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    output: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # scorecard points or predicted price
    scored_by: Mapped[str] = mapped_column(String(64), nullable=False)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)


class PsiCheck(IdMixin, Base):
    """A population stability check of a production model's recent scores against its training scores."""

    __tablename__ = "risk_psi_checks"

    model_id: Mapped[int] = mapped_column(ForeignKey("risk_models.id"), nullable=False, index=True)
    psi: Mapped[float] = mapped_column(Float, nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # stable / watch / warning
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class TrainingStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class TrainingJob(IdMixin, TimestampMixin, Base):
    """A model training from an uploaded CSV, run in the background: its request, progress and outcome.

    The CSV itself is kept as a file under the data directory (``risk-uploads/<id>.csv``), never in the database.
    """

    __tablename__ = "risk_training_jobs"

    name: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    target: Mapped[str] = mapped_column(String(100), nullable=False)
    id_column: Mapped[str | None] = mapped_column(String(100), nullable=True)
    drop_columns: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    max_rounds: Mapped[int] = mapped_column(Integer, nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    file_rows: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=TrainingStatus.QUEUED.value, index=True)
    stage: Mapped[str] = mapped_column(String(32), nullable=False, default="queued")
    percent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error_en: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    error_zh: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("risk_models.id"), nullable=True)
    requested_by_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(64), nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

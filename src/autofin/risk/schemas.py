"""API shapes of the risk model registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from autofin.schemas import PublicModel, StrictModel


class RiskModelPublic(PublicModel):
    id: int
    name: str
    number: int
    kind: str
    status: str
    target: str
    data_sha256: str
    data_rows: int
    trained_by: str
    trained_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    promoted_at: datetime | None
    retired_at: datetime | None
    summary: dict[str, Any] = Field(default_factory=dict)
    version: int


class RiskModelDetail(RiskModelPublic):
    features: list[dict[str, Any]]
    metrics: dict[str, Any]
    artifact_path: str


class ScoreRequest(StrictModel):
    inputs: dict[str, Any] = Field(..., description="The applicant's (or vehicle's) values by column name.")
    subject_id: str | None = Field(None, max_length=64, description="Application or customer id, for the log.")


class ScoreResponse(StrictModel):
    model_id: int
    model_name: str
    model_number: int
    log_id: int
    result: dict[str, Any]


class PsiCheckPublic(PublicModel):
    id: int
    model_id: int
    psi: float
    rows: int
    status: str
    checked_at: datetime


class TrainingJobPublic(PublicModel):
    id: int
    name: str
    kind: str
    target: str
    id_column: str | None
    drop_columns: list[str]
    file_name: str
    file_rows: int
    status: str
    stage: str
    percent: int
    error_en: str | None
    error_zh: str | None
    model_id: int | None
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ScoreLogPublic(PublicModel):
    id: int
    model_id: int
    model_name: str
    model_number: int
    subject_id: str | None
    inputs: dict[str, Any]
    output: dict[str, Any]
    score: float | None
    scored_by: str
    scored_at: datetime

"""Shapes of the platform API: parameters, dictionary, jobs, notifications."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class StrictModel(BaseModel):
    """Input models refuse unknown fields and trim strings (like ``api.schemas.StrictModel``; domains may not
    import the API package)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PublicModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

# ---- config center -------------------------------------------------------------------------------------------


class ParameterCreate(StrictModel):
    """A new parameter key with its first value."""

    key: str = Field(max_length=100, examples=["risk.max_dti"])
    value_type: str = Field(max_length=16, examples=["decimal"])
    value: JsonValue = Field(examples=["0.55"], description="Decimals as strings (\"0.55\"), never floats.")
    scope: str = Field("global", max_length=16)
    scope_value: str = Field("", max_length=64)
    effective_from: date | None = None
    effective_to: date | None = None
    description_zh: str = Field("", max_length=500)
    description_en: str = Field("", max_length=500)
    note: str = Field("", max_length=500)


class ParameterChange(StrictModel):
    """A new version of an existing key: a new value, scope override, effective date or end date."""

    value: JsonValue = Field(examples=["0.50"])
    scope: str = Field("global", max_length=16)
    scope_value: str = Field("", max_length=64)
    effective_from: date | None = None
    effective_to: date | None = None
    description_zh: str | None = Field(None, max_length=500)
    description_en: str | None = Field(None, max_length=500)
    note: str = Field("", max_length=500)
    expected_version: int | None = Field(
        None, ge=1, description="The key's latest version the client saw; a newer one answers 409."
    )


class ParameterPublic(PublicModel):
    id: int
    key: str
    version: int
    value_type: str
    scope: str
    scope_value: str
    value: str
    effective_from: date
    effective_to: date | None
    description_zh: str
    description_en: str
    note: str
    changed_by_id: int | None
    changed_by_name: str
    changed_at: datetime


class ResolvedParameter(StrictModel):
    key: str
    on: date
    value: JsonValue
    value_type: str
    scope: str
    scope_value: str
    version: int


# ---- data dictionary -----------------------------------------------------------------------------------------


class DictionaryTypeCreate(StrictModel):
    code: str = Field(min_length=2, max_length=64)
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=500)


class DictionaryTypeUpdate(StrictModel):
    name_zh: str | None = Field(None, min_length=1, max_length=100)
    name_en: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=500)
    version: int = Field(ge=1)


class DictionaryTypePublic(PublicModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    description: str
    builtin: bool
    version: int


class DictionaryItemCreate(StrictModel):
    code: str = Field(min_length=1, max_length=64)
    label_zh: str = Field(min_length=1, max_length=100)
    label_en: str = Field(min_length=1, max_length=100)
    sort: int = Field(0, ge=-1_000_000, le=1_000_000)
    active: bool = True
    parent_code: str | None = Field(None, max_length=64)


class DictionaryItemUpdate(StrictModel):
    label_zh: str | None = Field(None, min_length=1, max_length=100)
    label_en: str | None = Field(None, min_length=1, max_length=100)
    sort: int | None = Field(None, ge=-1_000_000, le=1_000_000)
    active: bool | None = None
    parent_code: str | None = Field(None, max_length=64, description="\"\" removes the parent.")
    version: int = Field(ge=1)


class DictionaryItemPublic(PublicModel):
    id: int
    type_id: int
    code: str
    label_zh: str
    label_en: str
    sort: int
    active: bool
    parent_id: int | None
    version: int


# ---- jobs ----------------------------------------------------------------------------------------------------


class JobPublic(StrictModel):
    name: str
    title_zh: str
    title_en: str
    cron: str
    default_cron: str
    paused: bool
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_status: str | None
    running: bool
    declared: bool
    version: int


class JobCronUpdate(StrictModel):
    cron: str = Field(min_length=9, max_length=100, examples=["0 2 * * *"])
    version: int | None = Field(None, ge=1)


class JobRunPublic(PublicModel):
    id: int
    job_name: str
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, Any]
    progress: str
    error: str | None
    triggered_by_id: int | None
    triggered_by_name: str


# ---- notifications -------------------------------------------------------------------------------------------


class InboxMessagePublic(PublicModel):
    id: int
    title: str
    body: str
    link: str | None
    template: str | None
    created_at: datetime
    read_at: datetime | None


class MarkRead(StrictModel):
    ids: list[int] = Field(default_factory=list, max_length=500)
    all: bool = False


class UnreadCount(StrictModel):
    unread: int

"""Input and output shapes of the documents API (pydantic). Uploads are multipart forms (see ``api.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from autofin.schemas import PublicModel, StrictModel

KindName = Literal["id_photo", "invoice", "appraisal_report", "vehicle_photo", "contract", "other"]
OwnerTypeName = Literal["customer", "vehicle", "application"]


class DocumentPublic(PublicModel):
    id: int
    link_id: int
    sha256: str
    size: int
    media_type: str
    kind: str
    original_filename: str
    owner_type: str
    owner_id: int
    uploaded_by_name: str
    created_at: datetime
    reused: bool = False


class LinkCreate(StrictModel):
    owner_type: OwnerTypeName
    owner_id: int = Field(ge=1)
    kind: KindName | None = None

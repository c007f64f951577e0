"""Pydantic shapes every domain's schemas.py and the API share: strict input models, list envelopes, money as text."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

T = TypeVar("T")

MONEY_PATTERN = r"^-?\d{1,13}(\.\d{1,2})?$"

# Money crosses the wire as a string ("1234.50"): exact, and with a pattern in OpenAPI (pydantic's Decimal
# schema would also accept floats).
MoneyStr = Annotated[
    Decimal,
    Field(max_digits=15, decimal_places=2),
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["1234.50"]}),
]


class StrictModel(BaseModel):
    """Input models refuse unknown fields and trim strings."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PublicModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ListResponse(BaseModel, Generic[T]):
    data: list[T]
    count: int


class PageParams(BaseModel):
    page: int = 1
    size: int = 50
    q: str | None = None

"""Moved to ``autofin.schemas`` (domains may not import the API); kept while callers move over."""

from autofin.schemas import MONEY_PATTERN, ListResponse, MoneyStr, PageParams, PublicModel, StrictModel

__all__ = ["MONEY_PATTERN", "ListResponse", "MoneyStr", "PageParams", "PublicModel", "StrictModel"]

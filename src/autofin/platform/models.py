"""Tables of the platform domain.

The idempotency table lives beside its logic in ``idempotency.py``; it is imported here so that loading
``platform.models`` registers every platform table.
"""

from __future__ import annotations

from autofin.platform.idempotency import IdempotencyRecord

__all__ = ["IdempotencyRecord"]

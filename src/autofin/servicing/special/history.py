"""五级分类变动 history: one row per change of a loan's class, whoever made it.

* :func:`record_classification_change` — one loan (restructure, manual reclassification, any service).
* :func:`record_eod_classification_changes` — set-based, for the end-of-day classification step: called with the
  step's own ``floor`` SQL expression *before* its UPDATE, in the same transaction, it inserts one row per loan of
  the partition whose class the UPDATE is about to raise (so a rerun finds nothing to insert: idempotent).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Date, bindparam, text

from autofin.db.types import UTCDateTime
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.servicing.special.models import ClassificationChange

CLASSES = ("pass", "special_mention", "substandard", "doubtful", "loss")
EPOCH = date(1970, 1, 1)


def record_classification_change(uow: UnitOfWork, loan_id: int, on: date, from_rank: int, to_rank: int, *,
                                 source: str, reason: str = "", actor: Actor | None = None,
                                 request_id: int | None = None) -> ClassificationChange | None:
    """Append a history row (nothing when the rank does not change)."""
    if from_rank == to_rank:
        return None
    row = ClassificationChange(loan_id=loan_id, business_date=on, from_class=CLASSES[from_rank - 1],
                               to_class=CLASSES[to_rank - 1], from_rank=from_rank, to_rank=to_rank, source=source,
                               reason=reason[:500], request_id=request_id,
                               actor_id=actor.user_id if actor is not None else None)
    uow.session.add(row)
    uow.flush()
    return row


def record_eod_classification_changes(uow: UnitOfWork, day: int, lo: int, hi: int, floor_sql: str,
                                      live_sql: str, params: dict[str, object] | None = None) -> int:
    """INSERT … SELECT the coming EOD downgrades of loans ``lo``–``hi`` (``floor_sql`` over alias ``l``)."""
    names = "CASE " + floor_sql + " " + " ".join(
        f"WHEN {rank} THEN '{name}'" for rank, name in enumerate(CLASSES, start=1)) + " END"
    result = uow.session.execute(text(f"""
        INSERT INTO servicing_classification_history (loan_id, business_date, from_class, to_class, from_rank,
            to_rank, source, reason, created_at)
        SELECT l.id, :business_date, l.classification, {names}, l.classification_rank, {floor_sql}, 'eod',
            'days past due / restructuring floor', :now
        FROM servicing_loans l
        WHERE l.id BETWEEN :lo AND :hi AND {live_sql} AND {floor_sql} > l.classification_rank""").bindparams(  # noqa: S608
        bindparam("business_date", type_=Date()), bindparam("now", type_=UTCDateTime())),
        {"business_date": EPOCH + timedelta(days=day), "lo": lo, "hi": hi, "now": utcnow(), **(params or {})})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


"""Writing and checking the audit trail.

Every state-changing use case calls :func:`record` inside its own transaction, so a change and its audit row
are committed together or not at all. Rows are hash-chained: each holds the hash of the previous row and a hash
over its own content, so :func:`verify` finds any row that was altered, removed or inserted afterwards.

The chain has one head row that every writer must lock. :func:`record` only stages the row; the unit of work's
``before_commit`` hook locks the head, numbers and hashes the transaction's rows and adds them as its last act, so
the lock is held for the commit alone rather than for the rest of the use case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from autofin.audit.models import AuditChainHead, AuditEvent
from autofin.audit.permissions import VIEW_AUDIT
from autofin.db.paging import fetch_page
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.hashchain import GENESIS_HASH, chain_hash, json_safe
from autofin.kernel.text import mask_middle

HEAD_ID = 1
CHAIN_HOOK = "audit.chain"
SECRET_KEYS = frozenset({"password", "password_hash", "token", "token_hash", "totp_secret", "secret", "cvv"})
MASKED_KEYS = {
    "id_number": (6, 4),
    "phone": (3, 4),
    "card_number": (6, 4),
    "mobile": (3, 4),
    "email": (2, 0),
}


def redact(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop secrets and mask personal data before they reach the log."""
    if values is None:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if key in SECRET_KEYS:
            cleaned[key] = "***" if value else value
        elif key in MASKED_KEYS and isinstance(value, str):
            cleaned[key] = mask_middle(value, *MASKED_KEYS[key])
        else:
            cleaned[key] = json_safe(value)
    return cleaned


def _content_hash(previous_hash: str, event: AuditEvent) -> str:
    content = {
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "ip": event.ip,
    }
    return chain_hash(previous_hash, content)


def _lock_head(session: Session) -> AuditChainHead:
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=HEAD_ID, last_sequence=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


class _StagedRows:
    """The audit rows of one transaction, chained onto the head when the transaction commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: list[AuditEvent] = []

    def __call__(self) -> None:
        head = _lock_head(self.session)
        for event in self.rows:
            event.sequence = head.last_sequence + 1
            event.previous_hash = head.last_hash
            event.row_hash = _content_hash(event.previous_hash, event)
            head.last_sequence, head.last_hash = event.sequence, event.row_hash
        self.session.add_all(self.rows)


def record(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: object | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Stage one audit row for a state change in the caller's transaction: it is chained and written at commit,
    together with the change, or not at all."""
    staged = uow.before_commit.get(CHAIN_HOOK)
    if not isinstance(staged, _StagedRows):
        staged = _StagedRows(uow.session)
        uow.before_commit[CHAIN_HOOK] = staged
    event = AuditEvent(
        sequence=0,
        occurred_at=utcnow(),
        actor_id=actor.user_id,
        actor_name=actor.username,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=redact(before),
        after=redact(after),
        request_id=actor.request_id,
        ip=actor.ip,
        previous_hash="",
        row_hash="",
    )
    staged.rows.append(event)
    return event


@dataclass(frozen=True)
class ChainReport:
    rows_checked: int
    first_broken_sequence: int | None
    problem: str | None

    @property
    def intact(self) -> bool:
        return self.first_broken_sequence is None and self.problem is None


def verify(session: Session, batch_size: int = 5000) -> ChainReport:
    """Walk the chain in order; name the first row whose link or content does not match."""
    previous_hash = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    while True:
        rows = (
            session.execute(
                select(AuditEvent).where(AuditEvent.sequence >= expected_sequence)
                .order_by(AuditEvent.sequence).limit(batch_size)
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for row in rows:
            checked += 1
            if row.sequence != expected_sequence:
                return ChainReport(checked, expected_sequence, f"row {expected_sequence} is missing")
            if row.previous_hash != previous_hash:
                return ChainReport(checked, row.sequence, f"row {row.sequence} does not link to the row before it")
            if _content_hash(previous_hash, row) != row.row_hash:
                return ChainReport(checked, row.sequence, f"row {row.sequence} was altered after it was written")
            previous_hash = row.row_hash
            expected_sequence += 1
        session.expunge_all()
    head = session.get(AuditChainHead, HEAD_ID)
    if head is not None and (head.last_sequence != expected_sequence - 1 or head.last_hash != previous_hash):
        return ChainReport(
            checked, expected_sequence, f"rows after {expected_sequence - 1} were removed (chain head disagrees)"
        )
    return ChainReport(checked, None, None)


def list_events(
    uow: UnitOfWork,
    actor: Actor,
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[AuditEvent], int]:
    """The operation log, newest first, filtered; only for holders of the audit permission."""
    actor.require(VIEW_AUDIT)
    statement = select(AuditEvent)
    if entity_type:
        statement = statement.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        statement = statement.where(AuditEvent.entity_id == entity_id)
    if actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == actor_id)
    if action:
        statement = statement.where(AuditEvent.action.startswith(action))
    if since is not None:
        statement = statement.where(AuditEvent.occurred_at >= since)
    if until is not None:
        statement = statement.where(AuditEvent.occurred_at < until)
    return fetch_page(uow.session, statement, (AuditEvent.sequence.desc(),), page, size)

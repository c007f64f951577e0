"""Notifications (通知): an outbox of messages to deliver and an in-app inbox per user (站内信).

:func:`notify` writes the inbox row and its outbox row in the *caller's* transaction, so a notification exists
exactly when the change that caused it was committed. Delivery is a job (``platform.deliver_notifications``)
that hands pending outbox rows to a :class:`DeliveryAdapter` per channel; in-app rows are delivered by being
in the inbox already. Real SMS / e-mail / push / DingTalk adapters plug in with :func:`register_adapter`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, select, update

from autofin.audit import service as audit
from autofin.db.paging import fetch_page
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import AuthenticationFailed, FieldError, Text, ValidationFailed
from autofin.platform.models import Channel, DeliveryStatus, InboxMessage, OutboxMessage
from autofin.platform.permissions import SEND_NOTIFICATIONS

log = logging.getLogger("autofin.platform.notifications")
MAX_ATTEMPTS = 5
TITLE_MAX = 200


class DeliveryAdapter(Protocol):
    """Sends one outbox message through a channel; raises on failure (the job records it and retries)."""

    def send(self, message: OutboxMessage) -> None: ...


class LoggingAdapter:
    """Development stand-in for SMS / e-mail / push / DingTalk: writes the message to the log and succeeds."""

    def send(self, message: OutboxMessage) -> None:
        log.info(
            "notification delivered to log",
            extra={"channel": message.channel, "outbox_id": message.id, "template": message.template,
                   "recipient_user_id": message.recipient_user_id, "subject": message.subject},
        )


class InAppAdapter:
    """In-app messages are in the inbox from the moment they are written: delivery only marks them sent."""

    def send(self, message: OutboxMessage) -> None:
        return None


_ADAPTERS: dict[str, DeliveryAdapter] = {Channel.IN_APP.value: InAppAdapter()}
_FALLBACK: DeliveryAdapter = LoggingAdapter()


def register_adapter(channel: str, adapter: DeliveryAdapter) -> None:
    """Use ``adapter`` for ``channel`` from now on (e.g. an SMS gateway client)."""
    _ADAPTERS[channel] = adapter


def adapter_for(channel: str) -> DeliveryAdapter:
    return _ADAPTERS.get(channel, _FALLBACK)


# ---- writing -------------------------------------------------------------------------------------------------


def notify(
    uow: UnitOfWork,
    user_id: int,
    title: str,
    body: str,
    link: str | None = None,
    template: str | None = None,
    payload: dict[str, Any] | None = None,
) -> InboxMessage:
    """Put a message in ``user_id``'s inbox (and the outbox), in the caller's transaction. Never commits."""
    message = InboxMessage(user_id=user_id, title=title[:TITLE_MAX], body=body, link=link, template=template,
                           created_at=utcnow())
    uow.session.add(message)
    uow.session.flush()
    uow.session.add(OutboxMessage(
        channel=Channel.IN_APP.value, recipient_user_id=user_id, template=template, subject=title[:TITLE_MAX],
        body=body, payload={**(payload or {}), "inbox_id": message.id, "link": link}, created_at=utcnow(),
    ))
    return message


def enqueue(
    uow: UnitOfWork,
    channel: str,
    *,
    subject: str,
    body: str,
    recipient_user_id: int | None = None,
    recipient_address: str | None = None,
    template: str | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Queue a message for an external channel (sms, email, push, dingtalk), in the caller's transaction."""
    if channel not in {c.value for c in Channel} or channel == Channel.IN_APP:
        text = Text("The channel must be one of sms, email, push, dingtalk (use notify() for in-app).",
                    "渠道必须是 sms、email、push、dingtalk 之一（站内信请用 notify）。")
        raise ValidationFailed("platform.notification.invalid_channel", text, [FieldError("channel", text)])
    if recipient_user_id is None and not recipient_address:
        text = Text("Give a recipient: a user or an address.", "请指定接收人：用户或地址。")
        raise ValidationFailed("platform.notification.no_recipient", text, [FieldError("recipient", text)])
    message = OutboxMessage(
        channel=channel, recipient_user_id=recipient_user_id, recipient_address=recipient_address,
        template=template, subject=subject[:TITLE_MAX], body=body, payload=payload or {}, created_at=utcnow(),
    )
    uow.session.add(message)
    return message


def send_notification(
    uow: UnitOfWork, actor: Actor, user_ids: list[int], title: str, body: str, link: str | None = None
) -> list[InboxMessage]:
    """A person sends an in-app message to users (e.g. an announcement)."""
    actor.require(SEND_NOTIFICATIONS)
    if not title.strip():
        text = Text("The title must not be empty.", "标题不能为空。")
        raise ValidationFailed("platform.notification.title_required", text, [FieldError("title", text)])
    messages = [notify(uow, user_id, title.strip(), body, link, template="manual") for user_id in sorted(set(user_ids))]
    audit.record(uow, actor, "platform.notification.send", "notification", None,
                 after={"user_ids": sorted(set(user_ids)), "title": title.strip()})
    return messages


# ---- the inbox -----------------------------------------------------------------------------------------------


def _own(actor: Actor) -> int:
    if actor.user_id is None:
        raise AuthenticationFailed(
            "platform.inbox.no_user", Text("Only a signed-in user has an inbox.", "只有登录用户才有站内信。")
        )
    return actor.user_id


def unread_count(uow: UnitOfWork, actor: Actor) -> int:
    user_id = _own(actor)
    return int(uow.session.execute(
        select(func.count()).select_from(InboxMessage)
        .where(InboxMessage.user_id == user_id, InboxMessage.read_at.is_(None))
    ).scalar_one())


def list_inbox(
    uow: UnitOfWork, actor: Actor, *, unread_only: bool = False, page: int = 1, size: int = 50
) -> tuple[list[InboxMessage], int]:
    """The actor's own messages, newest first (nobody reads another person's inbox)."""
    user_id = _own(actor)
    statement = select(InboxMessage).where(InboxMessage.user_id == user_id)
    if unread_only:
        statement = statement.where(InboxMessage.read_at.is_(None))
    return fetch_page(uow.session, statement, (InboxMessage.created_at.desc(), InboxMessage.id.desc()), page, size)


def mark_read(uow: UnitOfWork, actor: Actor, ids: list[int]) -> int:
    """Mark the actor's own messages read; ids of other users' messages are ignored. Returns how many changed."""
    user_id = _own(actor)
    if not ids:
        return 0
    result = uow.session.execute(
        update(InboxMessage)
        .where(InboxMessage.user_id == user_id, InboxMessage.id.in_(ids), InboxMessage.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def mark_all_read(uow: UnitOfWork, actor: Actor) -> int:
    user_id = _own(actor)
    result = uow.session.execute(
        update(InboxMessage).where(InboxMessage.user_id == user_id, InboxMessage.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ---- delivery and housekeeping (used by jobs) -----------------------------------------------------------------


def deliver_pending(uow: UnitOfWork, *, batch_size: int = 500, after_id: int = 0) -> tuple[dict[str, int], int]:
    """Hand pending outbox rows (id above ``after_id``) to their channel's adapter, one attempt each.

    Returns the counts (sent, retrying, failed) and the highest id looked at (0 when there was none)."""
    rows = uow.session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.status == DeliveryStatus.PENDING.value, OutboxMessage.id > after_id)
        .order_by(OutboxMessage.id).limit(batch_size)
    ).scalars().all()
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    last_id = 0
    for message in rows:
        last_id = message.id
        message.attempts += 1
        try:
            adapter_for(message.channel).send(message)
        except Exception as exc:
            message.last_error = str(exc)[:500]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = DeliveryStatus.FAILED.value
                counts["failed"] += 1
            else:
                counts["retrying"] += 1
            continue
        message.status = DeliveryStatus.SENT.value
        message.sent_at = utcnow()
        message.last_error = None
        counts["sent"] += 1
    return counts, last_id


def purge_old(uow: UnitOfWork, *, inbox_days: int, outbox_days: int) -> dict[str, int]:
    """Delete read inbox messages older than ``inbox_days`` and delivered/failed outbox rows older than
    ``outbox_days``. Unread messages and pending deliveries are kept."""
    now = utcnow()
    inbox = uow.session.execute(
        delete(InboxMessage).where(
            InboxMessage.read_at.is_not(None), InboxMessage.created_at < now - timedelta(days=inbox_days)
        )
    )
    outbox = uow.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status != DeliveryStatus.PENDING.value,
            OutboxMessage.created_at < now - timedelta(days=outbox_days),
        )
    )
    return {"inbox_deleted": int(getattr(inbox, "rowcount", 0) or 0),
            "outbox_deleted": int(getattr(outbox, "rowcount", 0) or 0)}

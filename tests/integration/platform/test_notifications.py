"""Notifications: written with the change that caused them, read from one's own inbox, delivered by a job."""

import pytest
from sqlalchemy import select

from autofin.kernel.actor import Actor
from autofin.kernel.errors import AuthenticationFailed, PermissionDenied
from autofin.platform import service
from autofin.platform.models import OutboxMessage
from autofin.platform.notifications import register_adapter

alice = Actor(user_id=101, username="alice")
bob = Actor(user_id=102, username="bob")


def _notify(app_ctx, user_id, title, commit=True):
    with app_ctx.uow() as uow:
        message = service.notify(uow, user_id, title, "body", link="/loans/1", template="test.template")
        if commit:
            uow.commit()
    return message


def test_a_notification_lands_in_the_inbox_and_the_outbox_and_counts_as_unread(app_ctx):
    _notify(app_ctx, 101, "申请已提交")
    _notify(app_ctx, 101, "申请已审批")
    _notify(app_ctx, 102, "for bob")
    with app_ctx.uow() as uow:
        assert service.unread_count(uow, alice) == 2
        rows, count = service.list_inbox(uow, alice)
        assert count == 2 and {r.title for r in rows} == {"申请已提交", "申请已审批"}
        outbox = uow.session.execute(select(OutboxMessage)).scalars().all()
        assert {(o.channel, o.recipient_user_id, o.status) for o in outbox} == {
            ("in_app", 101, "pending"), ("in_app", 102, "pending")}


def test_a_notification_is_rolled_back_with_the_transaction_that_raised_it(app_ctx):
    _notify(app_ctx, 101, "never committed", commit=False)
    with app_ctx.uow() as uow:
        assert service.unread_count(uow, alice) == 0
        assert uow.session.execute(select(OutboxMessage)).first() is None


def test_marking_read_touches_only_ones_own_messages(app_ctx):
    first = _notify(app_ctx, 101, "one")
    _notify(app_ctx, 101, "two")
    bobs = _notify(app_ctx, 102, "bob's")
    with app_ctx.uow() as uow:
        assert service.mark_read(uow, alice, [first.id, bobs.id]) == 1
        uow.commit()
    with app_ctx.uow() as uow:
        assert service.unread_count(uow, alice) == 1 and service.unread_count(uow, bob) == 1
        unread, _ = service.list_inbox(uow, alice, unread_only=True)
        assert [m.title for m in unread] == ["two"]
        assert service.mark_all_read(uow, alice) == 1
        uow.commit()
    with app_ctx.uow() as uow:
        assert service.unread_count(uow, alice) == 0


def test_the_delivery_job_marks_in_app_messages_sent_and_retries_a_failing_channel(app_ctx):
    class Down:
        def send(self, message):
            raise ConnectionError("gateway down")

    register_adapter("sms", Down())
    try:
        _notify(app_ctx, 101, "hello")
        with app_ctx.uow() as uow:
            service.enqueue(uow, "sms", subject="还款提醒", body="明天还款", recipient_address="13800000000")
            uow.commit()
        run = service.run_job(app_ctx, "platform.deliver_notifications")
        assert run.status == "succeeded" and run.counts == {"sent": 1, "retrying": 1, "failed": 0}
        with app_ctx.uow() as uow:
            sms = uow.session.execute(select(OutboxMessage).where(OutboxMessage.channel == "sms")).scalar_one()
            assert sms.status == "pending" and sms.attempts == 1 and "gateway down" in sms.last_error
    finally:
        from autofin.platform.notifications import LoggingAdapter

        register_adapter("sms", LoggingAdapter())


def test_sending_an_announcement_needs_the_permission_and_an_inbox_needs_a_user(app_ctx):
    with app_ctx.uow() as uow, pytest.raises(PermissionDenied):
        service.send_notification(uow, alice, [102], "公告", "系统维护")
    sender = Actor(user_id=1, username="ops", permissions=frozenset({"platform.notification.send"}))
    with app_ctx.uow() as uow:
        service.send_notification(uow, sender, [101, 102, 102], "公告", "系统维护")
        uow.commit()
    with app_ctx.uow() as uow:
        assert service.unread_count(uow, alice) == 1 and service.unread_count(uow, bob) == 1
        with pytest.raises(AuthenticationFailed):
            service.unread_count(uow, Actor(user_id=None, username="system"))

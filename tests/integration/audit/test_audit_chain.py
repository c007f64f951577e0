"""The operation log: one row per change, hash-chained, and any later edit or removal is found."""

from sqlalchemy import text

from autofin.audit import service as audit
from autofin.audit.models import AuditEvent
from autofin.kernel.actor import Actor

clerk = Actor(user_id=42, username="clerk", request_id="req-1", ip="10.0.0.8")


def _write_three(app_ctx):
    with app_ctx.uow() as uow:
        audit.record(uow, clerk, "org.user.create", "user", 1, after={"username": "li", "password": "Secret-123"})
        audit.record(
            uow, clerk, "org.user.update", "user", 1, before={"phone": "13812345678"}, after={"phone": "13900001111"}
        )
        audit.record(
            uow, clerk, "org.user.disable", "user", 1, before={"status": "active"}, after={"status": "disabled"}
        )
        uow.commit()


def test_each_row_links_to_the_one_before_and_the_chain_verifies(app_ctx):
    _write_three(app_ctx)
    with app_ctx.uow() as uow:
        rows = uow.session.query(AuditEvent).order_by(AuditEvent.sequence).all()
        report = audit.verify(uow.session)
    assert [r.sequence for r in rows] == [1, 2, 3]
    assert rows[1].previous_hash == rows[0].row_hash
    assert report.intact and report.rows_checked == 3


def test_secrets_are_dropped_and_personal_data_masked_before_logging(app_ctx):
    _write_three(app_ctx)
    with app_ctx.uow() as uow:
        first, second = uow.session.query(AuditEvent).order_by(AuditEvent.sequence).limit(2).all()
        assert first.after == {"username": "li", "password": "***"}
        assert second.before == {"phone": "138****5678"}
        assert first.request_id == "req-1" and first.ip == "10.0.0.8" and first.actor_name == "clerk"


def test_an_altered_row_is_named_by_verify(app_ctx):
    _write_three(app_ctx)
    with app_ctx.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET action = 'org.user.enable' WHERE sequence = 2"))
    with app_ctx.uow() as uow:
        report = audit.verify(uow.session)
    assert not report.intact
    assert report.first_broken_sequence == 2
    assert "altered" in report.problem


def test_a_removed_row_in_the_middle_or_at_the_end_is_found(app_ctx):
    _write_three(app_ctx)
    with app_ctx.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE sequence = 3"))
    with app_ctx.uow() as uow:
        tail = audit.verify(uow.session)
    assert tail.first_broken_sequence == 3 and "removed" in tail.problem
    with app_ctx.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE sequence = 1"))
    with app_ctx.uow() as uow:
        middle = audit.verify(uow.session)
    assert middle.first_broken_sequence == 1 and "missing" in middle.problem


def test_an_audit_row_is_rolled_back_with_the_change_it_describes(app_ctx):
    with app_ctx.uow() as uow:
        audit.record(uow, clerk, "org.user.create", "user", 9)
        uow.rollback()
    with app_ctx.uow() as uow:
        assert uow.session.query(AuditEvent).count() == 0
        assert audit.verify(uow.session).intact


def test_rows_staged_before_a_rollback_are_dropped_and_a_later_commit_continues_the_chain(app_ctx):
    with app_ctx.uow() as uow:
        audit.record(uow, clerk, "org.user.create", "user", 9)
        uow.rollback()  # the use case failed: what it staged goes with it
        audit.record(uow, clerk, "org.user.refusal", "user", 9)
        uow.commit()
    _write_three(app_ctx)
    with app_ctx.uow() as uow:
        rows = uow.session.query(AuditEvent).order_by(AuditEvent.sequence).all()
        assert [(r.sequence, r.action) for r in rows][:2] == [(1, "org.user.refusal"), (2, "org.user.create")]
        assert audit.verify(uow.session).intact

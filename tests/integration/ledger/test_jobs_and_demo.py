"""The daily invariant job and the demo data."""

from __future__ import annotations

from datetime import date

from autofin.ledger import demo, service
from autofin.ledger.jobs import run_daily_checks


def test_the_daily_check_finds_nothing_wrong_after_normal_posting(app_ctx, post):
    post("capital.contributed", date(2025, 11, 1), amount="100.00")
    post("loan.disbursed", date(2025, 11, 2), principal="60.00")
    with app_ctx.uow() as uow:
        assert run_daily_checks(uow, date(2025, 11, 30)) == []


def test_the_daily_check_reports_a_failing_subledger_check(app_ctx, post):
    post("loan.disbursed", date(2025, 11, 2), principal="60.00")
    service.register_subledger_check("loans", lambda uow, as_of: ["1303 differs from loans by 1.00"])
    try:
        with app_ctx.uow() as uow:
            assert run_daily_checks(uow, date(2025, 11, 30)) == ["loans: 1303 differs from loans by 1.00"]
    finally:
        service.unregister_subledger_check("loans")


def test_demo_data_loads_once(app_ctx):
    with app_ctx.uow() as uow:
        first = demo.load(uow, app_ctx.settings)
        uow.commit()
    with app_ctx.uow() as uow:
        second = demo.load(uow, app_ctx.settings)
        uow.commit()
    assert first and second == []


def test_a_difference_found_by_the_scheduled_check_alerts_finance_and_fails_the_run(app_ctx, post, make_user):
    from autofin.kernel.actor import SYSTEM
    from autofin.org import service as org
    from autofin.platform import service as platform

    post("loan.disbursed", date(2025, 11, 2), principal="60.00")
    finance = make_user("cai.wu", role_codes=["finance"])
    gone = make_user("cai.left", role_codes=["finance"])
    reviewer = make_user("shen.he", role_codes=["reviewer"])
    with app_ctx.uow() as uow:
        org.disable_user(uow, SYSTEM, gone.id)
        uow.commit()
    service.register_subledger_check("loans", lambda uow, as_of: ["1303 differs from loans by 1.00"])
    try:
        run = platform.run_job_now(app_ctx, SYSTEM, "ledger.daily_checks")
    finally:
        service.unregister_subledger_check("loans")
    assert run.status == "failed" and "1303 differs from loans by 1.00" in run.error
    with app_ctx.uow() as uow:
        told = org.active_user_ids_with_permission(uow, "ledger.report.view")
        inbox = {}
        for user in (finance, gone, reviewer):
            messages, _count = platform.list_inbox(uow, org.actor_for_user(uow, org.get_user(uow, SYSTEM, user.id)))
            inbox[user.id] = [message.body for message in messages]
    assert finance.id in told and gone.id not in told and reviewer.id not in told
    assert inbox[finance.id] == ["loans: 1303 differs from loans by 1.00"]
    assert inbox[gone.id] == [] and inbox[reviewer.id] == []


def test_the_scheduled_check_passes_quietly_when_the_books_agree(app_ctx, post, make_user):
    from autofin.kernel.actor import SYSTEM
    from autofin.platform import service as platform

    post("capital.contributed", date(2025, 11, 1), amount="100.00")
    run = platform.run_job_now(app_ctx, SYSTEM, "ledger.daily_checks")
    assert run.status == "succeeded" and run.counts["problems"] == 0

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

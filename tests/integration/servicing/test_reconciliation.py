"""The loan subledger against the ledger, and the loan rates behind the weighted average rate (SQLite and PostgreSQL).

Two loans: 12,000.00 at 12 % opened 2025-01-15 and 6,000.00 at 6 % opened 2025-02-01; the first repays on time.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM
from autofin.ledger import service as ledger
from autofin.ledger import statements
from autofin.servicing import reconciliation

from .test_loans_and_eod import open_loan, repay

D = Decimal


def test_after_loans_and_repayments_the_subledger_agrees_with_the_ledger_on_every_day(app_ctx: App) -> None:
    first = open_loan(app_ctx, "HT-R1")
    open_loan(app_ctx, "HT-R2", principal="6000", annual_rate="6", disbursement_date="2025-02-01")
    repay(app_ctx, first, "2025-02-15", "1066.19")
    with app_ctx.uow() as uow:
        for day in (date(2025, 1, 15), date(2025, 2, 1), date(2025, 2, 15), date(2025, 3, 31)):
            assert reconciliation.principal_reconciliation(uow, day) == [], day
        assert reconciliation.principal_outstanding_on(uow, date(2025, 1, 14)) == D("0")
        assert reconciliation.principal_outstanding_on(uow, date(2025, 2, 15)) == D("12000") - D("946.19") + D("6000")
        for day in (date(2025, 1, 31), date(2025, 2, 14), date(2025, 2, 15), date(2025, 12, 31)):  # the streamed
            per_loan = reconciliation.principal_movements(uow, day)  # total is the per-loan movements' total
            assert reconciliation.principal_outstanding_on(uow, day) == sum(
                (amount for changes in per_loan.values() for _on, amount in changes), D("0")), day


def test_principal_booked_without_a_loan_behind_it_is_reported_with_the_difference(app_ctx: App) -> None:
    open_loan(app_ctx, "HT-R1")
    with app_ctx.uow() as uow:
        ledger.post_event(uow, SYSTEM, ledger.PostingRequest(
            "loan.disbursed", "manual", "phantom-1", date(2025, 1, 20), {"principal": D("500.00")}))
        uow.commit()
    with app_ctx.uow() as uow:
        assert reconciliation.principal_reconciliation(uow, date(2025, 1, 19)) == []
        found = reconciliation.principal_reconciliation(uow, date(2025, 1, 20))
    assert len(found) == 1 and "12000.00" in found[0] and "12500.00" in found[0] and "-500.00" in found[0]


def test_the_month_end_checklist_carries_the_servicing_reconciliation(app_ctx: App) -> None:
    open_loan(app_ctx, "HT-R1")
    with app_ctx.uow() as uow:
        checklist = ledger.period_checklist(uow, SYSTEM, "2025-01")
    items = {item[0]: item[1] for item in checklist.items}
    assert items["subledger_reconciled:servicing.loan_principal"] is True


def test_the_weighted_average_rate_weights_each_rate_by_its_average_daily_balance(app_ctx: App) -> None:
    open_loan(app_ctx, "HT-R1")  # 12,000.00 at 12 % all February
    open_loan(app_ctx, "HT-R2", principal="6000", annual_rate="6", disbursement_date="2025-02-15")  # 14 of 28 days
    with app_ctx.uow() as uow:
        pairs = reconciliation.loan_rates(uow, date(2025, 2, 1), date(2025, 2, 28))
        figures = statements.finance_figures(uow, SYSTEM, start=date(2025, 2, 1), end=date(2025, 2, 28))
    assert pairs == [(D("3000.00"), D("6")), (D("12000.00"), D("12"))]
    # (3,000 × 6 + 12,000 × 12) ÷ 15,000 = 10.8
    assert figures.weighted_average_rate == D("10.8") and figures.rate_source == "servicing"

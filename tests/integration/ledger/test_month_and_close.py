"""A month of simulated activity ties out across the statements, closes, and then refuses late postings.

Nov  1  capital paid in                      1,000,000.00
Nov  3  consulting fee charged                    2,120.00  (VAT 6 % → 2,000 + 120)
Nov  3  two loans disbursed                     150,000.00 + 90,000.00
Nov 30  interest accrued                          1,378.00  (1,300 + 78 VAT)
Nov 30  penalty accrued on loan 2                    21.20
Nov 30  loan 1 repays 4,000 principal + 848 interest; loan 2 overdue principal 2,000
Nov 30  provision 3,000; loan 2 written off (principal 84,000 + overdue 2,000 + interest 551.20)
Nov 30  recovery of 5,000 on the written-off loan
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from autofin.audit.models import AuditEvent
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import Conflict, PermissionDenied, RuleViolation, ValidationFailed
from autofin.ledger import checks, service, statements
from autofin.ledger.figures import average_daily_balance

from .conftest import actor, run

D = Decimal
START, END = date(2025, 11, 1), date(2025, 11, 30)


def _simulate_november(post):
    post("capital.contributed", START, amount="1000000.00")
    post("fee.charged", date(2025, 11, 3), fee="2120.00")
    post("loan.disbursed", date(2025, 11, 3), source_id="loan-1", principal="150000.00")
    post("loan.disbursed", date(2025, 11, 3), source_id="loan-2", principal="90000.00")
    post("interest.accrued", END, interest="1378.00")
    post("penalty.accrued", END, penalty="21.20")
    post("principal.became_overdue", END, principal="2000.00")
    post("repayment.allocated", END, principal="4000.00", interest="848.00")
    post("provision.changed", END, change="3000.00")
    post("loan.written_off", END, principal="84000.00", overdue_principal="2000.00", interest="551.20")
    post("recovery.received", END, amount="5000.00")


def test_a_month_of_activity_ties_out_closes_and_refuses_a_late_posting(app_ctx, post):
    _simulate_november(post)
    with app_ctx.uow() as uow:
        trial = statements.trial_balance(uow, SYSTEM, "2025-11")
        sheet = statements.balance_sheet(uow, SYSTEM, END)
        opening_sheet = statements.build_balance_sheet(uow, date(2025, 10, 31))
        income = statements.income_statement(uow, SYSTEM, "2025-11")

    assert trial.balanced and checks.trial_balance_errors(trial) == []
    assert trial.period_debit == trial.period_credit
    assert checks.balance_sheet_errors(sheet) == []
    # income: interest 1,300 + penalty 20 + fee 2,000 + recovery 5,000; expense: provision 3,000 (then used).
    assert income.total_income == D("8320.00")
    assert income.total_expenses == D("3000.00")
    assert income.net_profit == D("5320.00") == sheet.current_year_profit
    assert checks.profit_ties_to_equity_errors(income, opening_sheet, sheet, capital_movement=D("1000000.00")) == []
    rows = {row.code: row for row in trial.rows}
    assert rows["1303"].is_summary and rows["1303"].closing_debit == D("240000.00") - D("4000.00") - D("86000.00")
    assert rows["7001"].closing_debit == D("86551.20") - D("5000.00")  # written off, less recovered

    checklist = run(app_ctx, service.close_period, SYSTEM, "2025-11")
    assert checklist.passed
    with pytest.raises(Conflict) as late:
        post("interest.accrued", date(2025, 11, 29), interest="10.60")
    assert late.value.code == "ledger.period.closed"
    assert post("interest.accrued", date(2025, 12, 1), interest="10.60").voucher_no == "记-2025-12-0001"


def test_reopening_a_period_needs_the_permission_and_a_reason_and_is_audited(app_ctx, post):
    post("capital.contributed", START, amount="100.00")
    run(app_ctx, service.close_period, SYSTEM, "2025-11")
    clerk = actor(7, "clerk", "ledger.period.close")
    with pytest.raises(PermissionDenied):
        run(app_ctx, service.reopen_period, clerk, "2025-11", "posting error found")
    with pytest.raises(ValidationFailed):
        run(app_ctx, service.reopen_period, SYSTEM, "2025-11", "")
    run(app_ctx, service.reopen_period, SYSTEM, "2025-11", "bank charge booked late")
    post("capital.contributed", START, amount="1.00")
    with app_ctx.uow() as uow:
        audit = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.period.reopen")).one()
        assert audit.after["reason"] == "bank charge booked late"


def test_a_period_with_a_voucher_waiting_for_approval_cannot_close(app_ctx, post):
    post("capital.contributed", START, amount="100.00")
    voucher = service.VoucherInput(
        date(2025, 11, 5),
        "office rent",
        [service.VoucherLineInput("6602", debit=D("10.00")), service.VoucherLineInput("1002", credit=D("10.00"))],
    )
    run(app_ctx, service.create_voucher, actor(1, "maker", "ledger.voucher.create"), voucher)
    with pytest.raises(RuleViolation) as refused:
        run(app_ctx, service.close_period, SYSTEM, "2025-11")
    assert refused.value.code == "ledger.period.checklist_failed"
    assert "no_pending_maker_checker_items" in refused.value.message.en


def test_an_earlier_open_period_with_entries_must_close_first(app_ctx, post):
    post("capital.contributed", date(2025, 10, 31), amount="100.00")
    post("capital.contributed", START, amount="100.00")
    with pytest.raises(RuleViolation) as refused:
        run(app_ctx, service.close_period, SYSTEM, "2025-11")
    assert "earlier_periods_closed" in refused.value.message.en


def test_registered_subledger_checks_are_part_of_the_checklist(app_ctx, post):
    post("loan.disbursed", START, principal="100.00")

    def loans_match(uow, as_of):
        return ["1303 is 100.00 but the loan subledger says 90.00"]

    service.register_subledger_check("loans", loans_match)
    try:
        with app_ctx.uow() as uow:
            checklist = service.period_checklist(uow, SYSTEM, "2025-11")
        assert not checklist.passed
        assert "subledger_reconciled:loans" in checklist.failures()[0]
    finally:
        service.unregister_subledger_check("loans")


def test_closing_december_carries_the_year_into_current_year_profit_then_retained_earnings(app_ctx, post, balances):
    post("capital.contributed", date(2025, 12, 1), amount="1000.00")
    post("fee.charged", date(2025, 12, 2), fee="106.00")
    post("provision.changed", date(2025, 12, 3), change="30.00")
    run(app_ctx, service.close_period, SYSTEM, "2025-12")
    after = balances(date(2025, 12, 31))
    assert "6021" not in after and "6701" not in after and "4103" not in after
    assert after["4104"] == D("-70.00")  # 100 fee income − 30 provision, as retained earnings (credit)
    with app_ctx.uow() as uow:
        income = statements.income_statement(uow, SYSTEM, "2025-12")
        sheet = statements.build_balance_sheet(uow, date(2025, 12, 31))
    assert income.net_profit == D("70.00")  # the carry entries are not activity
    assert sheet.balanced and sheet.current_year_profit == 0


def test_account_detail_runs_a_balance_and_the_average_daily_balance_reads_the_daily_balances(app_ctx, post):
    post("loan.disbursed", date(2025, 11, 11), principal="3000.00")
    post("loan.disbursed", date(2025, 11, 21), principal="3000.00")
    post("repayment.allocated", date(2025, 11, 30), principal="1000.00")
    with app_ctx.uow() as uow:
        detail = statements.account_detail(uow, SYSTEM, "1303", START, END)
        average = statements.average_daily_balance(uow, SYSTEM, "1303", START, END)
        opening, movements = statements.daily_net_movements(uow, "1303", START, END)
    assert [line.balance for line in detail.lines] == [D("3000.00"), D("6000.00"), D("5000.00")]
    assert detail.closing == D("5000.00")
    # 10 days × 3,000 + 9 days × 6,000 + 1 day × 5,000 over 30 days
    assert average == D("2966.67")
    assert average_daily_balance(opening, movements, START, END).quantize(D("0.01")) == average

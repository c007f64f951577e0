"""Cash journal (资金日记账) and bank reconciliation: receipts and payments per bank account, statement import,
matching, unmatched items on both sides."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import Conflict, RuleViolation, ValidationFailed
from autofin.ledger import cash, service
from autofin.ledger.models import BankStatementLine

from .conftest import actor, run

D = Decimal
CASHIER = actor(7, "cashier", "ledger.cash.manage", "ledger.entry.view", "ledger.entry.post")


def _post(app_ctx, event_type, day, source_id, counterparty=None, **amounts):
    dimensions = {"counterparty": counterparty} if counterparty else {}
    with app_ctx.uow() as uow:
        posted = service.post_event(
            uow,
            SYSTEM,
            service.PostingRequest(event_type, "test", source_id, day, {k: D(v) for k, v in amounts.items()},
                                   dimensions),
        )
        uow.commit()
    return posted


def _month(app_ctx):
    _post(app_ctx, "capital.contributed", date(2025, 11, 1), "cap", "股东甲", amount="100000.00")
    _post(app_ctx, "loan.disbursed", date(2025, 11, 3), "L1", "某某车行", principal="30000.00")
    _post(app_ctx, "repayment.allocated", date(2025, 11, 20), "R1", "张三", principal="1000.00", interest="200.00")
    return run(app_ctx, cash.create_bank_account, CASHIER, name="基本户", bank_name="工商银行上海分行",
               number="6222 0210 0112 3456 789", account_code="1002")


def test_the_cash_journal_lists_receipts_and_payments_with_counterparty_voucher_and_balance(app_ctx):
    bank = _month(app_ctx)
    assert bank.number_masked == "6222***********6789"
    with app_ctx.uow() as uow:
        journal = cash.cash_journal(uow, CASHIER, bank.id, date(2025, 11, 2), date(2025, 11, 30))
    assert journal.opening == D("100000.00")
    assert [(x.counterparty, x.receipt, x.payment, x.balance) for x in journal.lines] == [
        ("某某车行", D("0"), D("30000.00"), D("70000.00")),
        ("张三", D("1200.00"), D("0"), D("71200.00")),
    ]
    assert journal.lines[0].voucher_no == "记-2025-11-0002" and journal.lines[0].activity == "operating"
    assert (journal.total_receipts, journal.total_payments, journal.closing) == (
        D("1200.00"), D("30000.00"), D("71200.00")
    )


def test_a_bank_account_must_book_to_a_leaf_cash_account_of_its_own(app_ctx):
    _month(app_ctx)
    with pytest.raises(Conflict):
        run(app_ctx, cash.create_bank_account, CASHIER, name="x", bank_name="y", number="1234567890",
            account_code="1002")
    with pytest.raises(RuleViolation):
        run(app_ctx, cash.create_bank_account, CASHIER, name="x", bank_name="y", number="1234567890",
            account_code="1132")


STATEMENT = (
    "date,amount,counterparty,reference,balance\n"
    "2025-11-01,100000.00,股东甲,capital,100000.00\n"
    "2025-11-04,-30000.00,某某车行,放款,70000.00\n"
    "2025-11-21,1200.00,张三,R1,71200.00\n"
    "2025-11-28,-15.00,工商银行,手续费,71185.00\n"
).encode()


def test_an_imported_statement_matches_automatically_and_leaves_the_rest_unmatched_on_both_sides(app_ctx):
    bank = _month(app_ctx)
    _post(app_ctx, "refund.paid", date(2025, 11, 29), "RF1", "李四", amount="50.00")
    result = run(app_ctx, cash.import_statement, CASHIER, bank.id, "nov.csv", STATEMENT)
    assert (result.line_count, result.matched) == (4, 3)
    assert (result.total_in, result.total_out) == (D("101200.00"), D("30015.00"))
    with app_ctx.uow() as uow:
        open_items = cash.unmatched_items(uow, CASHIER, bank.id)
        assert [(x.reference, x.amount) for x in open_items.statement_lines] == [("手续费", D("-15.00"))]
        assert [(x.counterparty, x.payment) for x in open_items.journal_lines] == [("李四", D("50.00"))]
        journal = cash.cash_journal(uow, CASHIER, bank.id, date(2025, 11, 1), date(2025, 11, 30))
        assert sum(1 for x in journal.lines if x.statement_line_id is not None) == 3


def test_a_reference_on_the_statement_picks_the_right_one_of_two_equal_amounts(app_ctx):
    bank = _month(app_ctx)
    _post(app_ctx, "fee.charged", date(2025, 11, 10), "FEE-A", "王五", fee="106.00")
    _post(app_ctx, "fee.charged", date(2025, 11, 10), "FEE-B", "赵六", fee="106.00")
    statement = b"date,amount,reference\n2025-11-10,106.00,FEE-B\n"
    run(app_ctx, cash.import_statement, CASHIER, bank.id, "fees.csv", statement)
    with app_ctx.uow() as uow:
        (line,) = cash.list_statement_lines(uow, CASHIER, bank.id)
        journal = cash.cash_journal(uow, CASHIER, bank.id, date(2025, 11, 10), date(2025, 11, 10))
        matched = next(x for x in journal.lines if x.line_id == line.matched_line_id)
        assert matched.counterparty == "赵六" and line.match_kind == "auto"


def test_a_malformed_file_imports_nothing_and_names_the_rows(app_ctx):
    bank = _month(app_ctx)
    bad = b"date,amount\n2025-11-01,10.00\n2025-11-02,ten\n2025-11-31,1.00\n"
    with pytest.raises(ValidationFailed) as refused:
        run(app_ctx, cash.import_statement, CASHIER, bank.id, "bad.csv", bad)
    assert refused.value.code == "ledger.statement.invalid"
    assert [e.field for e in refused.value.errors] == ["rows.3", "rows.4"]
    with app_ctx.uow() as uow:
        assert uow.session.scalar(select(func.count(BankStatementLine.id))) == 0


def test_the_same_file_cannot_be_imported_twice(app_ctx):
    bank = _month(app_ctx)
    run(app_ctx, cash.import_statement, CASHIER, bank.id, "nov.csv", STATEMENT)
    with pytest.raises(Conflict):
        run(app_ctx, cash.import_statement, CASHIER, bank.id, "nov-again.csv", STATEMENT)


def test_manual_match_needs_the_same_amount_and_can_be_undone(app_ctx):
    bank = _month(app_ctx)
    run(app_ctx, cash.import_statement, CASHIER, bank.id, "late.csv",
        b"date,amount,reference\n2025-11-30,1200.00,late\n2025-11-30,-7.00,x\n", auto_match=False)
    with app_ctx.uow() as uow:
        late, odd = (x.id for x in cash.list_statement_lines(uow, CASHIER, bank.id))
        repayment = next(x for x in cash.unmatched_items(uow, CASHIER, bank.id).journal_lines if x.receipt == D("1200"))
    with pytest.raises(RuleViolation) as differs:
        run(app_ctx, cash.match_manually, CASHIER, odd, repayment.line_id)
    assert differs.value.code == "ledger.match.amount_differs"
    matched = run(app_ctx, cash.match_manually, CASHIER, late, repayment.line_id)
    assert matched.match_kind == "manual" and matched.matched_by == "cashier"
    with pytest.raises(Conflict):
        run(app_ctx, cash.match_manually, CASHIER, late, repayment.line_id)
    run(app_ctx, cash.unmatch, CASHIER, late)
    with app_ctx.uow() as uow:
        assert len(cash.unmatched_items(uow, CASHIER, bank.id).statement_lines) == 2


def test_reconciliation_needs_the_cash_permission(app_ctx):
    bank = _month(app_ctx)
    viewer = actor(8, "viewer", "ledger.entry.view")
    from autofin.kernel.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        run(app_ctx, cash.import_statement, viewer, bank.id, "nov.csv", STATEMENT)
    with app_ctx.uow() as uow:
        assert cash.list_bank_accounts(uow, viewer)[0].name == "基本户"

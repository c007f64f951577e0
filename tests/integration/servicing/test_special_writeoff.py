"""核销 and recoveries, 债务转让, 减免 levels over the database, with their ledger entries (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from tests.integration.servicing.special_support import (
    CLERK,
    MANAGER,
    MANAGER2,
    REVIEWER,
    apply,
    execute,
    ledger_balance,
    loan_view,
    open_loan,
    review,
    through,
)

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import Conflict, PermissionDenied, RuleViolation, ValidationFailed
from autofin.ledger.models import JournalEntry
from autofin.servicing import reconciliation
from autofin.servicing.special import service as special
from autofin.servicing.special.schemas import (
    RecoveryApply,
    ReviewCommand,
    TransferApply,
    WaiverApply,
    WriteOffApply,
)

D = Decimal
LATE = date(2025, 9, 20)  # first installment 2025-02-15 unpaid: 217 days past due


def _entries(app: App, event_type: str) -> list[JournalEntry]:
    with app.uow() as uow:
        rows = list(uow.session.scalars(select(JournalEntry).where(JournalEntry.event_type == event_type)))
        uow.session.expunge_all()
        return rows


def test_a_current_loan_cannot_be_written_off(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    with pytest.raises(RuleViolation) as refused:
        apply(app_ctx, "write_off", loan_id, WriteOffApply(effective_date=date(2025, 3, 1)))
    assert refused.value.code == "servicing.special.write_off_ineligible"
    assert "180" in refused.value.message.en and "核销" in refused.value.message.zh


def test_write_off_then_recovery_moves_the_balance_off_book_and_books_the_recovery(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    result = through(app_ctx, "write_off", loan_id, WriteOffApply(effective_date=LATE, reason="uncollectable"))
    loan, _rows = loan_view(app_ctx, loan_id)
    assert loan.status == "written_off" and loan.provision == 0
    assert D(result["principal"]) == D("12000.00") and D(result["interest"]) > 0
    # off book: the principal left 1303, the provision was used, the memorandum holds the claim
    assert ledger_balance(app_ctx, "1303", LATE) == 0
    assert ledger_balance(app_ctx, "1304", LATE) == 0
    assert ledger_balance(app_ctx, "7001", LATE) == D(result["total"])
    assert ledger_balance(app_ctx, "1132", LATE) == 0
    with app_ctx.uow() as uow:
        assert reconciliation.principal_reconciliation(uow, LATE) == []
    # recoveries afterwards are recoveries, not repayments
    recovered = through(app_ctx, "recovery", loan_id, RecoveryApply(amount=D("3000"), effective_date=date(2025, 10, 8)),
                        REVIEWER)
    assert recovered["recovered"] == "3000.00"
    assert ledger_balance(app_ctx, "6301", date(2025, 10, 8)) == D("3000.00")
    assert ledger_balance(app_ctx, "7001", date(2025, 10, 8)) == D(result["total"]) - D("3000")
    loan, _rows = loan_view(app_ctx, loan_id)
    assert loan.status == "written_off"


def test_a_recovery_needs_a_written_off_loan(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    with pytest.raises(RuleViolation) as refused:
        apply(app_ctx, "recovery", loan_id, RecoveryApply(amount=D("10"), effective_date=date(2025, 3, 1)))
    assert refused.value.code == "servicing.special.loan_state"


@pytest.mark.parametrize(("principal", "approvers"), [("12000", 1), ("150000", 2)])
def test_write_off_approvals_by_amount(app_ctx: App, principal: str, approvers: int) -> None:
    loan_id = open_loan(app_ctx, principal=principal)
    request_id = apply(app_ctx, "write_off", loan_id, WriteOffApply(effective_date=LATE))
    with pytest.raises(PermissionDenied):  # a reviewer is not enough for a write-off
        review(app_ctx, request_id, REVIEWER)
    assert review(app_ctx, request_id, MANAGER) == ("approved" if approvers == 1 else "pending")
    if approvers == 2:
        with pytest.raises(RuleViolation):  # the same manager cannot give the second approval
            review(app_ctx, request_id, MANAGER)
        assert review(app_ctx, request_id, MANAGER2) == "approved"
    execute(app_ctx, request_id)
    assert loan_view(app_ctx, loan_id)[0].status == "written_off"


def test_the_applicant_cannot_review_and_a_rejection_needs_a_reason(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    request_id = apply(app_ctx, "write_off", loan_id, WriteOffApply(effective_date=LATE), actor=MANAGER)
    with pytest.raises(RuleViolation) as same:
        review(app_ctx, request_id, MANAGER)
    assert same.value.code == "servicing.special.same_person"
    with pytest.raises(ValidationFailed):
        review(app_ctx, request_id, MANAGER2, decision="reject", comment="")
    assert review(app_ctx, request_id, MANAGER2, decision="reject", comment="collect first") == "rejected"
    with pytest.raises(Conflict):
        execute(app_ctx, request_id)
    assert loan_view(app_ctx, loan_id)[0].status != "written_off"


def test_a_stale_version_is_refused(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    request_id = apply(app_ctx, "write_off", loan_id, WriteOffApply(effective_date=LATE))
    with app_ctx.uow() as uow, pytest.raises(Conflict):
        special.review_request(uow, MANAGER, request_id, ReviewCommand(decision="approve", version=99))


@pytest.mark.parametrize(("amount", "level", "reviewer_can"), [("1000.00", "reviewer", True),
                                                               ("1000.01", "manager", False)])
def test_waiver_approval_levels_by_amount(app_ctx: App, amount: str, level: str, reviewer_can: bool) -> None:
    loan_id = open_loan(app_ctx, principal="120000")
    request_id = apply(app_ctx, "waiver", loan_id, WaiverApply(amount=D(amount), effective_date=LATE))
    with app_ctx.uow() as uow:
        assert special.get_request(uow, CLERK, request_id).preview["level"] == level
    if reviewer_can:
        review(app_ctx, request_id, REVIEWER)
    else:
        with pytest.raises(PermissionDenied):
            review(app_ctx, request_id, REVIEWER)
        review(app_ctx, request_id, MANAGER)
    result = execute(app_ctx, request_id)
    assert D(result["penalty"]) + D(result["fees"]) == D(amount)
    _loan, rows = loan_view(app_ctx, loan_id)
    assert sum((r.waived for r in rows), D(0)) == D(amount)
    assert [e.event_type for e in _entries(app_ctx, "waiver.granted")] == ["waiver.granted"]


def test_a_waiver_beyond_the_penalty_and_fees_owed_is_refused(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    with pytest.raises(ValidationFailed) as refused:
        apply(app_ctx, "waiver", loan_id, WaiverApply(amount=D("5000"), effective_date=LATE))
    assert refused.value.errors[0].field == "amount" and "罚息" in refused.value.errors[0].message.zh


def test_assignment_to_another_creditor_closes_the_loan_and_books_the_loss(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    result = through(app_ctx, "transfer", loan_id, TransferApply(mode="creditor", creditor_name="某资产管理公司",
                                                                 consideration=D("6000"), effective_date=LATE))
    loan, _rows = loan_view(app_ctx, loan_id)
    assert loan.status == "transferred" and loan.principal_outstanding == 0
    book = D(result["principal"]) + D(result["interest"])
    assert D(result["loss"]) == book - D("6000") and D(result["gain"]) == 0
    assert ledger_balance(app_ctx, "1303", LATE) == 0
    assert ledger_balance(app_ctx, "6711", LATE) == D(result["loss"])
    with app_ctx.uow() as uow:
        assert reconciliation.principal_reconciliation(uow, LATE) == []
    with pytest.raises(RuleViolation):  # nothing more can happen to a transferred loan
        apply(app_ctx, "waiver", loan_id, WaiverApply(amount=D("1"), effective_date=LATE))


def test_transfer_to_a_new_borrower_checks_kyc_and_the_blacklist(app_ctx: App) -> None:
    from autofin.customers import service as customers
    from autofin.customers.identity import make_resident_id
    from autofin.customers.schemas import BlacklistCreate, CustomerCreate

    with app_ctx.uow() as uow:
        clean = customers.create_customer(uow, SYSTEM, CustomerCreate(
            kind="individual", name="赵六", id_number=make_resident_id("320102", date(1985, 2, 3), 7),
            phone="13712345678", address="南京市玄武区中山路1号"))
        listed = customers.create_customer(uow, SYSTEM, CustomerCreate(
            kind="individual", name="钱七", id_number=make_resident_id("320102", date(1986, 3, 4), 8),
            phone="13812345678", address="南京市玄武区中山路2号"))
        customers.add_blacklist_entry(uow, SYSTEM, BlacklistCreate(phone="13812345678", reason="欺诈"))
        uow.commit()
        clean_id, listed_id = clean.id, listed.id
    loan_id = open_loan(app_ctx, customer_id=424242)
    with pytest.raises(ValidationFailed) as missing:
        apply(app_ctx, "transfer", loan_id, TransferApply(mode="borrower", new_customer_id=999999,
                                                          effective_date=date(2025, 1, 20)))
    assert missing.value.errors[0].field == "new_customer_id"
    with pytest.raises(Exception) as blacklisted:
        apply(app_ctx, "transfer", loan_id, TransferApply(mode="borrower", new_customer_id=listed_id,
                                                          effective_date=date(2025, 1, 20)))
    assert getattr(blacklisted.value, "code", "") == "customers.blacklist.hit"
    result = through(app_ctx, "transfer", loan_id, TransferApply(mode="borrower", new_customer_id=clean_id,
                                                                 effective_date=date(2025, 1, 20)))
    loan, _rows = loan_view(app_ctx, loan_id)
    assert loan.customer_id == clean_id and loan.customer_name == "赵六" and loan.status == "active"
    assert result["from"]["customer_id"] == 424242

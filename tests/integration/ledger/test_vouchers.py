"""Manual vouchers: the maker drafts, a different checker approves (posted, numbered) or rejects."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import Conflict, RuleViolation, ValidationFailed
from autofin.ledger import checks, service
from autofin.ledger.models import JournalEntry

from .conftest import actor, request, run

D = Decimal
DAY = date(2025, 11, 5)
MAKER = actor(1, "maker", "ledger.voucher.create", "ledger.voucher.approve", "ledger.entry.view")
CHECKER = actor(2, "checker", "ledger.voucher.approve", "ledger.entry.view")


def _rent(amount_debit="10.00", amount_credit="10.00", day=DAY):
    return service.VoucherInput(
        day,
        "office rent 房租",
        [
            service.VoucherLineInput("6602", debit=D(amount_debit)),
            service.VoucherLineInput("1002", credit=D(amount_credit)),
        ],
    )


def test_a_checker_approves_a_makers_voucher_and_it_is_posted_with_a_number(app_ctx, balances):
    voucher = run(app_ctx, service.create_voucher, MAKER, _rent())
    assert voucher.status == "draft" and balances(DAY) == {}
    approved = run(app_ctx, service.approve_voucher, CHECKER, voucher.id, voucher.version)
    assert approved.status == "posted" and approved.checker_name == "checker"
    with app_ctx.uow() as uow:
        entry = service.get_entry(uow, CHECKER, approved.entry_id)
        assert entry.voucher_no == "记-2025-11-0001" and entry.approved_by == "checker"
    assert balances(DAY) == {"6602": D("10.00"), "1002": D("-10.00")}


def test_the_maker_cannot_approve_their_own_voucher(app_ctx):
    voucher = run(app_ctx, service.create_voucher, MAKER, _rent())
    with pytest.raises(RuleViolation) as refused:
        run(app_ctx, service.approve_voucher, MAKER, voucher.id)
    assert refused.value.code == "ledger.voucher.maker_is_checker"


def test_an_unbalanced_voucher_is_refused_at_once(app_ctx):
    with pytest.raises(ValidationFailed) as refused:
        run(app_ctx, service.create_voucher, MAKER, _rent("10.00", "9.00"))
    assert refused.value.code == "ledger.entry.unbalanced"


def test_a_voucher_to_a_parent_account_or_in_a_closed_period_is_refused(app_ctx, post):
    bad = service.VoucherInput(
        DAY,
        "x",
        [service.VoucherLineInput("1303", debit=D("1.00")), service.VoucherLineInput("1002", credit=D("1.00"))],
    )
    with pytest.raises(RuleViolation):
        run(app_ctx, service.create_voucher, MAKER, bad)
    post("capital.contributed", DAY, amount="1.00")
    run(app_ctx, service.close_period, SYSTEM, "2025-11")
    with pytest.raises(Conflict) as closed:
        run(app_ctx, service.create_voucher, MAKER, _rent())
    assert closed.value.code == "ledger.period.closed"


def test_a_rejected_voucher_books_nothing_and_cannot_be_approved_afterwards(app_ctx, balances):
    voucher = run(app_ctx, service.create_voucher, MAKER, _rent())
    rejected = run(app_ctx, service.reject_voucher, CHECKER, voucher.id, "wrong account")
    assert rejected.status == "rejected" and rejected.reject_reason == "wrong account"
    with pytest.raises(Conflict):
        run(app_ctx, service.approve_voucher, CHECKER, voucher.id)
    assert balances(DAY) == {}


def test_voucher_numbers_stay_gap_free_when_many_writers_post_at_once(app_ctx):
    def writer(worker: int) -> None:
        for n in range(5):
            with app_ctx.uow() as uow:
                service.post_event(uow, SYSTEM, request("capital.contributed", DAY, f"w{worker}-{n}", amount="1.00"))
                if n == 2:
                    uow.rollback()  # an abandoned transaction must not leave a hole
                    continue
                uow.commit()

    threads = [threading.Thread(target=writer, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app_ctx.uow() as uow:
        sequences = uow.session.scalars(select(JournalEntry.sequence).where(JournalEntry.period == "2025-11")).all()
    assert len(sequences) == 6 * 4
    assert checks.voucher_sequence_errors("2025-11", sequences) == []

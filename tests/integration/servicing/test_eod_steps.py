"""The end-of-day steps of direct debit, warnings, provisions by configurable class rates and the subledger check;
the configurable step list; EOD twice = once and crash-and-rerun = uninterrupted (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text
from tests.integration.servicing.payments_world import OWNER, borrower, inbox, open_loan, set_parameter

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import Conflict, ValidationFailed
from autofin.servicing import service
from autofin.servicing.eod import runner
from autofin.servicing.eod import warnings as eod_warnings
from autofin.servicing.models import DailyAccrual, EodRun, EodStepProgress, Installment, LoanAccount
from autofin.servicing.payments import debit
from autofin.servicing.payments.models import DebitAttempt

D = Decimal


def world(app: App) -> list[int]:
    """Four loans of four borrowers; the first two debit by mandate."""
    loans = []
    for n in range(4):
        who = borrower(app, n + 1, f"客户{n}")
        loan_id = open_loan(app, who, f"HT-EOD-{n}")
        if n < 2:
            with app.uow() as uow:
                debit.authorise_mandate(uow, SYSTEM, loan_id, who.card_id, date(2025, 1, 10), f"AUTH-{n}")
                uow.commit()
        loans.append(loan_id)
    return loans


def snapshot(app: App) -> dict[str, Any]:
    from autofin.ledger.models import JournalEntry
    from autofin.platform.models import InboxMessage

    with app.uow() as uow:
        def rows(*columns: Any) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in uow.session.execute(select(*columns).order_by(*columns[:3])).all()]

        return {
            "loans": rows(LoanAccount.id, LoanAccount.status, LoanAccount.days_past_due, LoanAccount.bucket,
                          LoanAccount.classification, LoanAccount.provision, LoanAccount.version),
            "installments": rows(Installment.loan_id, Installment.number, Installment.status,
                                 Installment.penalty_due, Installment.interest_accrued),
            "accruals": rows(DailyAccrual.loan_id, DailyAccrual.business_day, DailyAccrual.kind,
                             DailyAccrual.amount),
            "attempts": rows(DebitAttempt.loan_id, DebitAttempt.installment, DebitAttempt.attempt,
                             DebitAttempt.scheduled_on, DebitAttempt.status, DebitAttempt.idempotency_key),
            "inbox": rows(InboxMessage.user_id, InboxMessage.title, InboxMessage.body),
            "journal": rows(JournalEntry.event_type, JournalEntry.source_id, JournalEntry.business_date),
            "runs": rows(EodRun.business_date, EodRun.status),
        }


DAYS = (date(2025, 2, 14), date(2025, 2, 15), date(2025, 2, 16), date(2025, 3, 16))


def run_days(app: App, crash: tuple[date, str, int] | None = None,
             after_crash: Callable[[], None] | None = None) -> None:
    for day in DAYS:
        if crash is not None and crash[0] == day:
            def hook(step: str, partition: int) -> None:
                if (step, partition) == crash[1:]:
                    raise RuntimeError("killed mid-step")

            runner.FAIL_HOOK = hook
            try:
                with pytest.raises(RuntimeError):
                    runner.run_eod(app, SYSTEM, day, partitions=3)
            finally:
                runner.FAIL_HOOK = None
            with app.uow() as uow:
                assert service.last_business_date(uow) != day  # not advanced
            if after_crash is not None:
                after_crash()
        assert runner.run_eod(app, SYSTEM, day, partitions=3).status == "succeeded"


def test_the_batch_prepares_debits_and_warns_the_owner_when_a_loan_enters_a_bucket(app_ctx: App) -> None:
    loans = world(app_ctx)
    run_days(app_ctx)
    state = snapshot(app_ctx)
    due = date(2025, 2, 15)
    # installment 1 (due 15 Feb) prepared on the 14th; installment 2 (due 15 Mar) on the 14th of March was not a
    # batch day here, so it has none yet: only mandated loans, one attempt each, never sent by the batch itself
    assert [(a[0], a[1], a[2], a[3], a[4], a[5]) for a in state["attempts"]] == [
        (loans[0], 1, 1, due, "scheduled", f"dd:{loans[0]}:1:1"),
        (loans[1], 1, 1, due, "scheduled", f"dd:{loans[1]}:1:1")]
    messages = inbox(app_ctx, OWNER)
    entered_m1 = [m for m in messages if "逾期预警 2025-02-16" in m[0]]
    assert len(entered_m1) >= 1 and all("进入 M1" in body for _title, body in entered_m1)
    assert sum(body.count("HT-EOD-") for _t, body in entered_m1) == 4
    assert not [m for m in messages if "逾期预警 2025-03-16" in m[0]]  # DPD 29 on the 16th of March: no boundary


def test_running_a_date_twice_changes_nothing_the_second_time(app_ctx: App) -> None:
    world(app_ctx)
    run_days(app_ctx)
    once = snapshot(app_ctx)
    for day in DAYS:
        assert runner.run_eod(app_ctx, SYSTEM, day, partitions=3).skipped
    assert snapshot(app_ctx) == once


def crashed_and_resumed_equals_uninterrupted(app: App, crash: tuple[date, str, int],
                                             after_crash: Callable[[], None] | None = None) -> None:
    from tests.conftest import _empty_all_tables

    world(app)
    run_days(app)
    uninterrupted = snapshot(app)
    _empty_all_tables(app)
    from autofin.domains import domain_modules

    with app.uow() as uow:
        for module in domain_modules("seed"):
            module.seed(uow)
        uow.commit()
    world(app)
    run_days(app, crash, after_crash)
    assert snapshot(app) == uninterrupted


@pytest.mark.parametrize("crash", [(date(2025, 2, 14), "direct_debit", 1), (date(2025, 2, 16), "warnings", 1),
                                   (date(2025, 2, 16), "subledger_check", 0), (date(2025, 2, 16), "penalty", 1),
                                   (date(2025, 3, 16), "classification", 1)])
def test_a_crash_mid_step_then_a_rerun_ends_as_an_uninterrupted_run(app_ctx: App,
                                                                   crash: tuple[date, str, int]) -> None:
    crashed_and_resumed_equals_uninterrupted(app_ctx, crash)


def test_a_pass_of_which_a_run_recorded_only_some_steps_runs_the_rest_once(app_ctx: App) -> None:
    """A run begun by a version that ran the installment steps one by one may have recorded a partition's
    mark_overdue but not its penalty and interest: the resumed pass runs those two and records each once."""
    def forget_the_later_installment_steps_of_partition_0() -> None:
        with app_ctx.uow() as uow:
            uow.session.execute(delete(EodStepProgress).where(
                EodStepProgress.partition == 0, EodStepProgress.step.in_(("penalty", "interest_accrual")),
                EodStepProgress.run_id == select(func.max(EodRun.id)).scalar_subquery()))
            uow.commit()

    crashed_and_resumed_equals_uninterrupted(app_ctx, (date(2025, 2, 16), "delinquency", 1),
                                             forget_the_later_installment_steps_of_partition_0)


def test_provisions_follow_the_class_rates_of_the_config_centre(app_ctx: App) -> None:
    set_parameter(app_ctx, "servicing.provision_rates", {"special_mention": "5", "substandard": "30"})
    loan_id = open_loan(app_ctx, borrower(app_ctx, 1), "HT-PROV")
    runner.run_eod(app_ctx, SYSTEM, date(2025, 3, 20))
    with app_ctx.uow() as uow:
        loan = uow.session.get(LoanAccount, loan_id)
        assert loan is not None and loan.classification == "special_mention"
        assert loan.provision == D("600.00")  # 5 % of 12,000 (default would be 2 %)


@pytest.mark.parametrize("rates", [{"special_mention": "101"}, {"special_mention": "2.001"}, {"watch": "2"},
                                   ["2", "25"], {"loss": "abc"}])
def test_a_bad_provision_rate_fails_the_date_and_the_business_date_stays(app_ctx: App, rates: Any) -> None:
    set_parameter(app_ctx, "servicing.provision_rates", rates)
    open_loan(app_ctx, borrower(app_ctx, 1), "HT-PROV")
    with pytest.raises(ValidationFailed) as caught:
        runner.run_eod(app_ctx, SYSTEM, date(2025, 3, 20))
    assert caught.value.code == "servicing.eod.provision_config_invalid"
    with app_ctx.uow() as uow:
        run = uow.session.scalar(select(EodRun))
        assert run is not None and run.status == "failed" and "provision" in run.error
        assert service.last_business_date(uow) is None


def test_a_subledger_that_disagrees_with_the_ledger_fails_the_date_until_it_is_put_right(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx, borrower(app_ctx, 1), "HT-SUB")
    with app_ctx.uow() as uow:
        uow.session.execute(text("UPDATE servicing_loans SET principal = principal + 100 WHERE id = :id"),
                            {"id": loan_id})
        uow.commit()
    with pytest.raises(Conflict) as caught:
        runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 1))
    assert caught.value.code == "servicing.eod.subledger_mismatch" and "1303" in caught.value.message.en
    with app_ctx.uow() as uow:
        assert service.last_business_date(uow) is None
    with app_ctx.uow() as uow:
        uow.session.execute(text("UPDATE servicing_loans SET principal = principal - 100 WHERE id = :id"),
                            {"id": loan_id})
        uow.commit()
    assert runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 1)).status == "succeeded"


def test_the_steps_can_be_configured_but_not_reordered(app_ctx: App) -> None:
    world(app_ctx)
    steps = ["mark_overdue", "penalty", "interest_accrual", "delinquency", "classification", "postings"]
    set_parameter(app_ctx, "servicing.eod.steps", steps)
    result = runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 14))
    # the installment steps run together in one pass over the installments, the others one by one
    assert list(result.seconds) == ["mark_overdue + penalty + interest_accrual", *steps[3:]]
    assert snapshot(app_ctx)["attempts"] == []
    for wrong in (["postings", "penalty"], ["mark_overdue", "no_such_step"], [], ["penalty", "penalty"]):
        with pytest.raises(ValidationFailed) as caught:
            runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 15), steps=wrong)
        assert caught.value.code == "servicing.eod.steps_invalid"


def test_an_installment_step_left_out_of_the_pass_changes_nothing_of_its_own(app_ctx: App) -> None:
    world(app_ctx)
    steps = ["mark_overdue", "interest_accrual", "delinquency"]
    assert runner.run_eod(app_ctx, SYSTEM, date(2025, 3, 20), steps=steps).status == "succeeded"
    state = snapshot(app_ctx)
    statuses = {status for _loan, _number, status, _penalty, _interest in state["installments"]}
    assert "overdue" in statuses  # the overdue step ran in the pass …
    assert all(penalty == 0 for *_rest, penalty, _interest in state["installments"])  # … the penalty did not
    assert {kind for _loan, _day, kind, _amount in state["accruals"]} == {"interest"}


def test_a_warning_rule_registered_by_another_domain_runs_in_every_partition(app_ctx: App) -> None:
    seen: list[tuple[date, int, int]] = []

    def rule(uow: Any, business_date: date, lo: int, hi: int) -> int:
        seen.append((business_date, lo, hi))
        return 0

    service.register_warning_rule("test.rule", rule)
    try:
        world(app_ctx)
        runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 1), partitions=2)
    finally:
        eod_warnings._RULES.pop("test.rule", None)
    # on PostgreSQL the partitions run on threads side by side, so they may call the rule in either order
    first, second = sorted(seen, key=lambda call: call[1])
    assert first[0] == second[0] == date(2025, 2, 1) and first[1] <= first[2] < second[1]

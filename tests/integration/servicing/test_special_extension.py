"""展期 and 重组 over the database: the 贷款通则 limits, the rebased schedule, replay after it, the observation
period of a restructured loan (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.integration.servicing.special_support import (
    ADMIN,
    CLERK,
    MANAGER,
    REVIEWER,
    apply,
    execute,
    loan_view,
    open_loan,
    pay_installments,
    repay,
    review,
    through,
)

from autofin.bootstrap import App
from autofin.kernel.errors import RuleViolation, ValidationFailed
from autofin.servicing.special import service as special
from autofin.servicing.special.schemas import ExtensionApply, ReclassificationApply, RestructureApply

D = Decimal


@pytest.mark.parametrize(("term", "extra", "allowed"), [
    (12, 12, True),    # short-term: total extension ≤ the original term
    (12, 13, False),
    (6, 6, True),
    (6, 7, False),
    (36, 18, True),    # medium-term: ≤ half of the original term
    (36, 19, False),
    (60, 30, True),
    (60, 31, False),
    (72, 36, True),    # long-term: ≤ 3 years
    (72, 37, False),
])
def test_an_extension_is_refused_beyond_the_loan_rules_limit(app_ctx: App, term: int, extra: int,
                                                             allowed: bool) -> None:
    loan_id = open_loan(app_ctx, term=term)
    cmd = ExtensionApply(extra_terms=extra, effective_date=date(2025, 1, 20))
    if allowed:
        request_id = apply(app_ctx, "extension", loan_id, cmd)
        with app_ctx.uow() as uow:
            limits = special.get_request(uow, CLERK, request_id).preview["limits"]
        assert limits["requested_months"] == extra and limits["limit_months"] >= extra
    else:
        with pytest.raises(ValidationFailed) as refused:
            apply(app_ctx, "extension", loan_id, cmd)
        assert refused.value.errors[0].field == "extra_terms"
        assert "贷款通则" in refused.value.errors[0].message.zh and "at most" in refused.value.errors[0].message.en


def test_an_executed_extension_reschedules_the_remaining_principal_and_replay_stays_right(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    pay_installments(app_ctx, loan_id, 2)
    before, _rows = loan_view(app_ctx, loan_id)
    result = through(app_ctx, "extension", loan_id,
                     ExtensionApply(extra_terms=6, annual_rate=D("10.8"), effective_date=date(2025, 4, 1)))
    loan, rows = loan_view(app_ctx, loan_id)
    assert result["old_maturity"] == "2026-01-15" and result["new_maturity"] == "2026-07-15"
    assert loan.maturity_date == date(2026, 7, 15) and loan.annual_rate == D("10.8")
    assert len(rows) == 16 and rows[0].due_date == date(2025, 4, 15)  # the repayment day is kept
    assert sum((r.principal_due for r in rows), D(0)) == before.principal_outstanding == loan.principal_outstanding
    assert all(r.principal_paid == 0 for r in rows)
    assert len(result["replaced"]["installments"]) == 12  # the old schedule is kept with the request
    # a later repayment is applied to the new schedule (the replay starts at the rebase)
    repay(app_ctx, loan_id, "2025-04-15", f"{rows[0].principal_due + rows[0].interest_due:.2f}")
    loan, rows = loan_view(app_ctx, loan_id)
    assert rows[0].status == "paid" and loan.status == "active"
    assert loan.principal_outstanding == before.principal_outstanding - rows[0].principal_due


def test_a_loan_is_extended_at_most_once_unless_configured(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx, term=36)
    through(app_ctx, "extension", loan_id, ExtensionApply(extra_terms=6, effective_date=date(2025, 1, 20)))
    with pytest.raises(RuleViolation) as refused:
        apply(app_ctx, "extension", loan_id, ExtensionApply(extra_terms=6, effective_date=date(2025, 1, 21)))
    assert refused.value.code == "servicing.special.extension_count"


def test_an_overdue_loan_cannot_be_extended_but_can_be_restructured(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    with pytest.raises(RuleViolation) as refused:
        apply(app_ctx, "extension", loan_id, ExtensionApply(extra_terms=3, effective_date=date(2025, 4, 1)))
    assert refused.value.code == "servicing.special.not_current"
    assert "重组" in refused.value.message.zh


def test_a_restructure_capitalises_arrears_and_keeps_the_loan_substandard_while_observed(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    pay_installments(app_ctx, loan_id, 1)
    on = date(2025, 5, 20)  # installments 2–4 overdue
    request_id = apply(app_ctx, "restructure", loan_id, RestructureApply(term=24, annual_rate=D("9"),
                                                                        effective_date=on, observation_months=6))
    with app_ctx.uow() as uow:
        preview = special.get_request(uow, CLERK, request_id).preview
    assert D(preview["capitalised"]["interest"]) > 0 and D(preview["capitalised"]["penalty"]) > 0
    with pytest.raises(Exception) as not_a_manager:
        review(app_ctx, request_id, REVIEWER)
    assert getattr(not_a_manager.value, "code", "") == "auth.permission_denied"
    review(app_ctx, request_id, MANAGER)
    result = execute(app_ctx, request_id)
    loan, rows = loan_view(app_ctx, loan_id)
    capitalised = sum((D(v) for v in result["capitalised"].values()), D(0))
    assert D(result["principal"]) == loan.principal_outstanding
    assert len(rows) == 24 and rows[0].due_date == date(2025, 6, 20)
    assert loan.days_past_due == 0 and loan.status == "active"
    assert loan.restructured_until == date(2025, 11, 20)
    assert loan.classification == "substandard"
    assert capitalised > 0
    with app_ctx.uow() as uow:
        history = [(h.from_class, h.to_class, h.source) for h in special.classification_history(uow, CLERK, loan_id)]
    assert history[-1] == ("pass", "substandard", "restructure")  # no end of day ran: it was still pass
    # an upgrade during the observation period is refused, whoever reviews
    with pytest.raises(ValidationFailed) as refused:
        apply(app_ctx, "reclassification", loan_id, ReclassificationApply(to_class="pass", reason="paid well",
                                                                         effective_date=on))
    assert "restructured until" in refused.value.errors[0].message.en


def test_the_end_of_day_keeps_a_restructured_loan_at_least_substandard(app_ctx: App) -> None:
    from autofin.kernel.actor import SYSTEM
    from autofin.servicing.eod import runner
    from autofin.servicing.models import LoanAccount

    loan_id = open_loan(app_ctx)
    with app_ctx.uow() as uow:
        loan = uow.session.get(LoanAccount, loan_id)
        assert loan is not None
        loan.restructured_until = date(2025, 3, 1)
        uow.commit()
    runner.run_eod(app_ctx, SYSTEM, date(2025, 1, 20))
    loan, _rows = loan_view(app_ctx, loan_id)
    assert loan.classification == "substandard" and loan.days_past_due == 0
    with app_ctx.uow() as uow:
        history = [(h.from_class, h.to_class, h.source) for h in special.classification_history(uow, CLERK, loan_id)]
    assert history == [("pass", "substandard", "eod")]


def test_a_transaction_of_a_replaced_schedule_cannot_be_reversed_on_its_own(app_ctx: App) -> None:
    from autofin.servicing import service

    loan_id = open_loan(app_ctx)
    tx_id = repay(app_ctx, loan_id, "2025-02-15", "1066.19")
    through(app_ctx, "extension", loan_id, ExtensionApply(extra_terms=3, effective_date=date(2025, 3, 1)))
    with app_ctx.uow() as uow, pytest.raises(RuleViolation) as refused:
        service.reverse_transaction(uow, ADMIN, tx_id, "bounced")
    assert refused.value.code == "servicing.special.rebased"

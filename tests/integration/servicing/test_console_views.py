"""The read-only views behind the servicing console over the database (SQLite and PostgreSQL): loan search with
every filter and the data scope, the 待确认 queue, the delinquency figures by bucket and class, the provision
trend, a failed end-of-day run's unfinished loans, and the demo loans' departments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM, Actor, DataScope
from autofin.kernel.errors import PermissionDenied
from autofin.servicing import dashboard, service
from autofin.servicing.dashboard import LoanFilter
from autofin.servicing.eod import runner
from autofin.servicing.models import Installment, LoanAccount
from autofin.servicing.permissions import LOAN_VIEW
from autofin.servicing.schemas import LoanOpen, RepaymentCreate

D = Decimal
AS_OF = date(2025, 9, 20)
CLERK = Actor(user_id=201, username="clerk", is_superuser=True, scope=DataScope.unrestricted())


def viewer(*departments: int) -> Actor:
    return Actor(user_id=301, username="viewer", permissions=frozenset({LOAN_VIEW}),
                 scope=DataScope(department_ids=frozenset(departments)))


def open_loan(app: App, contract: str, name: str, disbursed: date, department: int | None = None,
              principal: str = "12000") -> int:
    with app.uow() as uow:
        loan = service.open_loan_account(uow, SYSTEM, LoanOpen(
            contract_no=contract, customer_id=1, customer_name=name, product_code="CAR", department_id=department,
            terms={"principal": principal, "annual_rate": "12", "term": 12, "disbursement_date": disbursed.isoformat(),
                   "penalty": {"rate": "18"}}))
        service.bring_up_to_date(uow, SYSTEM, loan.id, AS_OF)
        uow.commit()
        return loan.id


@pytest.fixture()
def book(app_ctx: App) -> dict[str, int]:
    """Loans current, M1, M3 and M4+ in departments 10 and 20."""
    return {
        "current": open_loan(app_ctx, "HT-CUR", "王五", date(2025, 8, 25), 10),
        "m1": open_loan(app_ctx, "HT-M1", "张三", date(2025, 7, 25), 10),
        "m3": open_loan(app_ctx, "HT-M3", "张四", date(2025, 5, 25), 20, "24000"),
        "m4": open_loan(app_ctx, "HT-M4", "赵六", date(2025, 3, 1), 20),
    }


def contracts(rows: list[LoanAccount]) -> set[str]:
    return {row.contract_no for row in rows}


def test_the_loan_search_filters_by_name_status_days_past_due_bucket_and_class(app_ctx: App, book: dict) -> None:
    with app_ctx.uow() as uow:
        def found(**wanted: object) -> set[str]:
            rows, total = dashboard.search_loans(uow, SYSTEM, LoanFilter(**wanted))  # type: ignore[arg-type]
            assert total == len(rows)
            return contracts(rows)

        assert found() == {"HT-CUR", "HT-M1", "HT-M3", "HT-M4"}
        assert found(q="张") == {"HT-M1", "HT-M3"}
        assert found(q="ht-m") == {"HT-M1", "HT-M3", "HT-M4"}
        assert found(status="active") == {"HT-CUR"}
        assert found(dpd_min=61) == {"HT-M3", "HT-M4"}
        assert found(bucket="M1") == {"HT-M1"}
        assert found(bucket="M4+") == {"HT-M4"}
        assert found(classification="substandard") == {"HT-M4"}
        assert found(classification="special_mention", dpd_min=30) == {"HT-M3"}
        assert found(q="nobody") == set()
        rows, total = dashboard.search_loans(uow, SYSTEM, LoanFilter(), page=2, size=3)
        assert total == 4 and len(rows) == 1


def test_a_department_scoped_user_finds_and_counts_only_the_loans_of_their_department(app_ctx: App,
                                                                                     book: dict) -> None:
    with app_ctx.uow() as uow:
        rows, total = dashboard.search_loans(uow, viewer(20), LoanFilter())
        assert contracts(rows) == {"HT-M3", "HT-M4"} and total == 2
        assert contracts(dashboard.export_loans(uow, viewer(10), LoanFilter(q="HT"))) == {"HT-CUR", "HT-M1"}
        assert dashboard.delinquency(uow, viewer(20)).loans == 2
        assert dashboard.delinquency(uow, viewer(99)).loans == 0
        with pytest.raises(PermissionDenied):
            dashboard.search_loans(uow, Actor(user_id=5, username="nobody"), LoanFilter())
        with pytest.raises(PermissionDenied):
            dashboard.delinquency(uow, Actor(user_id=5, username="nobody"))


def test_the_dashboard_counts_loans_and_sums_balances_per_bucket_and_class(app_ctx: App, book: dict) -> None:
    with app_ctx.uow() as uow:
        figures = dashboard.delinquency(uow, SYSTEM)
        by_bucket = {s.key: s for s in figures.by_bucket}
        by_class = {s.key: s for s in figures.by_class}
        assert list(by_bucket) == ["M0", "M1", "M2", "M3", "M4+"]
        assert list(by_class) == ["pass", "special_mention", "substandard", "doubtful", "loss"]
        assert {k: s.loans for k, s in by_bucket.items()} == {"M0": 1, "M1": 1, "M2": 0, "M3": 1, "M4+": 1}
        assert {k: s.loans for k, s in by_class.items()} == {"pass": 1, "special_mention": 2, "substandard": 1,
                                                             "doubtful": 0, "loss": 0}
        loans = {loan.contract_no: loan for loan in uow.session.scalars(select(LoanAccount))}
        assert by_bucket["M3"].principal == loans["HT-M3"].principal_outstanding
        assert figures.principal == sum((loan.principal_outstanding for loan in loans.values()), D(0))
        owed = (Installment.principal_due + Installment.interest_due + Installment.fee_due + Installment.penalty_due
                - Installment.principal_paid - Installment.interest_paid - Installment.fee_paid
                - Installment.penalty_paid - Installment.waived)
        for contract, bucket in (("HT-M1", "M1"), ("HT-M4", "M4+")):
            rows = uow.session.scalars(select(Installment).where(Installment.loan_id == loans[contract].id,
                                                                 Installment.status == "overdue")).all()
            expected = sum((r.principal_due + r.interest_due + r.fee_due + r.penalty_due - r.principal_paid
                            - r.interest_paid - r.fee_paid - r.penalty_paid - r.waived for r in rows), D(0))
            assert by_bucket[bucket].overdue == expected > 0
        assert by_bucket["M0"].overdue == 0
        assert figures.overdue_loans == 3
        assert uow.session.scalar(select(func.count()).where(owed < 0)) == 0


def test_the_queue_lists_pending_repayments_of_visible_loans_until_they_are_confirmed(app_ctx: App,
                                                                                    book: dict) -> None:
    with app_ctx.uow() as uow:
        first = service.record_repayment(uow, CLERK, book["m1"], RepaymentCreate(date=AS_OF, amount=D("500.00")))
        service.record_repayment(uow, CLERK, book["m4"], RepaymentCreate(date=AS_OF, amount=D("800.00")))
        uow.commit()
        first_id = first.id
    with app_ctx.uow() as uow:
        rows, total = dashboard.pending_repayments(uow, SYSTEM)
        assert total == 2 and [(tx.amount, loan.contract_no) for tx, loan in rows] == [
            (D("500.00"), "HT-M1"), (D("800.00"), "HT-M4")]
        assert [loan.contract_no for _tx, loan in dashboard.pending_repayments(uow, viewer(20))[0]] == ["HT-M4"]
    checker = Actor(user_id=202, username="checker", is_superuser=True, scope=DataScope.unrestricted())
    with app_ctx.uow() as uow:
        service.confirm_repayment(uow, checker, first_id)
        uow.commit()
    with app_ctx.uow() as uow:
        rows, total = dashboard.pending_repayments(uow, SYSTEM)
        assert total == 1 and rows[0][1].contract_no == "HT-M4"


@pytest.fixture()
def failing_delinquency() -> Iterator[None]:
    def fail(step: str, partition: int) -> None:
        if step == "delinquency" and partition == 1:
            raise RuntimeError("disk full")

    runner.FAIL_HOOK = fail
    yield
    runner.FAIL_HOOK = None


def test_a_failed_run_reports_the_step_and_the_loans_it_did_not_finish_then_the_rerun_shows_all_done(
        app_ctx: App, book: dict, failing_delinquency: None) -> None:
    day = AS_OF + timedelta(days=1)
    with pytest.raises(RuntimeError):
        runner.run_eod(app_ctx, SYSTEM, day, partitions=2)
    with app_ctx.uow() as uow:
        runs, total = dashboard.eod_runs(uow, SYSTEM)
        assert total == 1 and runs[0].status == "failed" and "disk full" in runs[0].error
        detail = dashboard.eod_run_detail(uow, SYSTEM, runs[0].id)
        assert detail is not None
        states = {s.step: s.status for s in detail.steps}
        assert states["mark_overdue"] == states["interest_accrual"] == "done" and states["delinquency"] == "failed"
        assert states["postings"] == "waiting"
        assert detail.failed_step == "delinquency" and detail.failed_range == (book["m3"], book["m4"])
        assert detail.failed_count == 2 and [c for _id, c in detail.failed_loans] == ["HT-M3", "HT-M4"]
        assert dashboard.eod_run_detail(uow, viewer(10), runs[0].id).failed_loans == []  # type: ignore[union-attr]
        assert dashboard.partition_count(runs[0]) == 2
    runner.FAIL_HOOK = None
    runner.run_eod(app_ctx, SYSTEM, day, partitions=2)
    with app_ctx.uow() as uow:
        runs, _total = dashboard.eod_runs(uow, SYSTEM)
        detail = dashboard.eod_run_detail(uow, SYSTEM, runs[0].id)
        assert detail is not None and detail.failed_step is None
        assert {s.status for s in detail.steps} <= {"done", "skipped"}
        assert dashboard.eod_run_detail(uow, SYSTEM, 10**9) is None


def test_the_trend_shows_the_provisions_held_after_each_business_date(app_ctx: App, book: dict) -> None:
    with app_ctx.uow() as uow:
        assert dashboard.trend(uow, SYSTEM) == []
    for offset in (1, 2):
        runner.run_eod(app_ctx, SYSTEM, AS_OF + timedelta(days=offset))
    with app_ctx.uow() as uow:
        points = dashboard.trend(uow, SYSTEM)
        held = sum((loan.provision for loan in uow.session.scalars(select(LoanAccount))), D(0))
        assert [p.business_date for p in points] == [AS_OF + timedelta(days=1), AS_OF + timedelta(days=2)]
        assert points[-1].provision == held > 0
        assert all(p.interest > 0 for p in points)
        scoped = dashboard.trend(uow, viewer(10))
        department_10 = sum((loan.provision for loan in uow.session.scalars(
            select(LoanAccount).where(LoanAccount.department_id == 10))), D(0))
        assert scoped[-1].provision == department_10 < held


def test_the_demo_loans_belong_to_departments_so_a_collector_sees_the_delinquent_ones(app_ctx: App) -> None:
    from autofin.customers import demo as customers_demo
    from autofin.org import demo as org_demo
    from autofin.org import service as org
    from autofin.products import demo as products_demo
    from autofin.servicing import demo

    with app_ctx.uow() as uow:
        for module in (org_demo, customers_demo, products_demo, demo):
            module.load(uow, app_ctx.settings)
        uow.commit()
    with app_ctx.uow() as uow:
        departments, _total = org.list_departments(uow, SYSTEM, size=50)
        ids = {d.code: d.id for d in departments}
        rows, total = dashboard.search_loans(uow, viewer(ids["COLLECTION"]), LoanFilter())
        assert contracts(rows) == {"DEMO-LN-0003", "DEMO-LN-0004", "DEMO-LN-0005"} and total == 3
        assert all(row.days_past_due > 0 for row in rows)
        branch, _count = dashboard.search_loans(uow, viewer(ids["EAST-SH"]), LoanFilter())
        assert contracts(branch) == {"DEMO-LN-0001", "DEMO-LN-0002", "DEMO-LN-0006"}
        assert uow.session.scalar(select(func.count()).where(LoanAccount.department_id.is_(None))) == 0

"""The pure shaping behind the servicing console: step status of an end-of-day run, the provision trend, the loan
page's balances, the CSV export, allocation text, and every label in Chinese and English."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from autofin.console.i18n import translate
from autofin.servicing import console, dashboard
from autofin.servicing.console import LABELS
from autofin.servicing.models import day_number

D = Decimal
STEPS = ("mark_overdue", "penalty", "postings", "subledger_check")


def test_a_finished_run_shows_every_step_done_with_its_rows_and_time_summed_over_partitions() -> None:
    progress = [(step, p, 10, 5) for step in STEPS[:3] for p in range(2)] + [("subledger_check", 0, 1, 7)]
    steps = dashboard.step_summary(STEPS, 2, "succeeded", progress, {"subledger_check"})
    assert [(s.status, s.partitions_done, s.partitions, s.rows, s.milliseconds) for s in steps] == [
        ("done", 2, 2, 20, 10), ("done", 2, 2, 20, 10), ("done", 2, 2, 20, 10), ("done", 1, 1, 1, 7)]


def test_a_failed_run_marks_the_first_unfinished_step_failed_and_the_later_ones_waiting() -> None:
    progress = [("mark_overdue", 0, 3, 1), ("mark_overdue", 1, 3, 1), ("penalty", 0, 2, 1)]
    steps = dashboard.step_summary(STEPS, 2, "failed", progress)
    assert [s.status for s in steps] == ["done", "failed", "waiting", "waiting"]
    assert steps[1].partitions_done == 1
    running = dashboard.step_summary(STEPS, 2, "running", progress)
    assert [s.status for s in running] == ["done", "running", "waiting", "waiting"]


def test_a_step_left_out_by_the_configuration_shows_skipped_in_a_succeeded_run() -> None:
    progress = [(step, 0, 0, 0) for step in ("mark_overdue", "postings", "subledger_check")]
    steps = dashboard.step_summary(STEPS, 1, "succeeded", progress)
    assert [s.status for s in steps] == ["done", "skipped", "done", "done"]


def test_the_trend_runs_the_provision_balance_over_the_days_and_shows_each_days_accruals() -> None:
    days = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 4)]
    first = day_number(days[0])
    sums = [(first - 5, "provision", 1000), (first - 5, "interest", 999),  # before the window: opening balance
            (first, "provision", 250), (first, "interest", 3300), (first, "penalty", 12),
            (first + 2, "provision", -50),  # a day with no run of its own still counts in the balance
            (first + 3, "provision", 100), (first + 3, "interest", 3290)]
    points = dashboard.trend_points(days, sums, first)
    assert [(p.business_date, p.provision, p.interest, p.penalty) for p in points] == [
        (date(2026, 3, 1), D("12.50"), D("33.00"), D("0.12")),
        (date(2026, 3, 2), D("12.50"), D("0.00"), D("0.00")),
        (date(2026, 3, 4), D("13.00"), D("32.90"), D("0.00")),
    ]
    assert dashboard.trend_points([], sums, first) == []


def _row(number: int, status: str, **amounts: str) -> SimpleNamespace:
    base = {k: D("0") for k in ("principal_due", "interest_due", "fee_due", "penalty_due", "principal_paid",
                                "interest_paid", "fee_paid", "penalty_paid", "waived")}
    base.update({k: D(v) for k, v in amounts.items()})
    return SimpleNamespace(number=number, status=status, due_date=date(2026, number, 1), **base)


def test_the_loan_balances_count_what_fell_due_and_what_is_overdue_after_payments_and_waivers() -> None:
    rows = [
        _row(1, "paid", principal_due="900", interest_due="100", principal_paid="900", interest_paid="100"),
        _row(2, "overdue", principal_due="910", interest_due="90", fee_due="20", penalty_due="7.10",
             principal_paid="10", penalty_paid="0.10", waived="5"),
        _row(3, "due", principal_due="920", interest_due="80"),
        _row(4, "future", principal_due="930", interest_due="70"),
    ]
    assert dashboard.balance_summary(rows, D("3.50")) == {
        "principal": D("2750"), "interest": D("170"), "fees": D("20"), "penalty": D("2.00"),
        "overdue": D("1012.00"), "credit": D("3.50"),
    }


def test_a_waiver_counts_against_penalty_first_then_fees_then_interest() -> None:
    row = _row(1, "overdue", principal_due="900", interest_due="100", fee_due="30", penalty_due="12",
               penalty_paid="2", interest_paid="40", waived="25")
    assert dashboard.unpaid_parts(row) == {"penalty": D("0"), "fees": D("15"), "interest": D("60"),
                                           "principal": D("900")}
    heavy = _row(1, "overdue", interest_due="100", fee_due="30", penalty_due="12", waived="50")
    assert dashboard.unpaid_parts(heavy)["interest"] == D("92")


def test_the_csv_export_has_headers_two_place_money_and_never_a_formula() -> None:
    loan = SimpleNamespace(contract_no="HT-1", customer_name="=HYPERLINK(\"x\")", product_code="CAR",
                           status="overdue", days_past_due=15, bucket="M1", classification="special_mention",
                           principal=D("12000"), principal_outstanding=D("11053.8"), credit_balance=D("0"),
                           provision=D("221.08"), disbursement_date=date(2026, 1, 15),
                           maturity_date=date(2027, 1, 15))
    content = dashboard.loans_csv([loan])
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == list(dashboard.CSV_COLUMNS)
    assert rows[1] == ["HT-1", "'=HYPERLINK(\"x\")", "CAR", "overdue", "15", "M1", "special_mention", "12000.00",
                       "11053.80", "0.00", "221.08", "2026-01-15", "2027-01-15"]
    headed = dashboard.loans_csv([], headers=["合同号"])
    assert headed.decode("utf-8-sig").splitlines() == ["合同号"]


def test_an_allocation_reads_as_the_parts_paid_and_the_installments_it_reached() -> None:
    allocation = {"principal": "946.19", "interest": "120.00", "fees": "0.00", "penalty": "7.10",
                  "prepayment_fee": "0.00", "credit": "0.00",
                  "lines": [{"installment": 1, "bucket": "principal", "amount": "946.19"},
                            {"installment": 2, "bucket": "interest", "amount": "10.00"}]}
    assert console.allocation_text(allocation) == "本金 946.19；利息 120.00；罚息 7.10（#1, #2）"
    assert console.allocation_text(None) == "—"


@pytest.mark.parametrize("key", sorted(LABELS))
def test_every_servicing_label_has_both_languages_with_the_same_values(key: str) -> None:
    chinese, english = LABELS[key]
    assert chinese.strip() and english.strip()
    placeholder = re.compile(r"\{(\w+)\}")
    assert set(placeholder.findall(chinese)) == set(placeholder.findall(english))


def test_every_label_the_servicing_pages_use_is_translated() -> None:
    root = Path(console.__file__).parent
    pattern = re.compile(r"""(?:\bt\(|_key=|Column\([^,]+,\s*|FormField\([^,]+,\s*|RowAction\([^,]+,\s*|"""
                         r"""\(\s*"[a-z_]+",\s*)"([a-z_]+\.[a-z0-9_.]+)\"""")
    used: set[str] = set()
    for path in sorted(root.glob("*.py")):
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 50
    assert not sorted(key for key in used if translate(key, "en") == key)
    for prefix, codes in (("servicing.status", dashboard.STATUSES), ("servicing.class", dashboard.CLASSES),
                          ("servicing.step", tuple(dashboard.STEPS)),
                          ("servicing.step_state", ("done", "running", "failed", "waiting", "skipped"))):
        for code in codes:
            assert f"{prefix}.{code}" in LABELS, f"{prefix}.{code}"

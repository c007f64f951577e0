"""The model workbench in a real Chromium: a risk analyst uploads a small CSV and trains a PD model in the background
(the page shows the progress and the finished job), opens the model (metrics, ROC / KS / calibration / importance
charts, the scorecard's bin table), cannot approve their own model; a second person approves and promotes it, scores
one applicant (PD, score, grade and reasons in words) and runs the PSI check.

Screenshots of each step go to ``test-artifacts/`` (``risk-*.png``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.fixtures.org import ADMIN_USERNAME, DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

LT = Path(__file__).resolve().parents[1] / "data" / "risk" / "lt_sample.csv"
TRAINING_MS = 120_000


def _field(page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f"[data-testid={name}] input, input[data-testid={name}]").first


def _sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("[data-testid=user-menu]").click()
    page.locator("[data-testid=sign-out]").click()
    expect(page).to_have_url(re.compile(r"/login"))


def test_train_in_the_background_review_charts_approve_by_a_second_person_score_and_check_psi(
    make_user, console_url: str, browser_page
) -> None:  # type: ignore[no-untyped-def]
    make_user("riskboss", superuser=True)
    page = browser_page
    sign_in(page, console_url, ADMIN_USERNAME, DEFAULT_PASSWORD)
    menu = page.locator("[data-testid=main-menu]")
    expect(menu.locator('[data-menu="/risk/models"]')).to_be_visible()

    # --- upload and train in the background; the job card shows progress, then the finished model -------------
    menu.locator('[data-menu="/risk/train"]').click()
    page.locator("[data-testid=training-upload] input[type=file]").set_input_files(str(LT))
    expect(page.locator("[data-testid=file-chosen]")).to_contain_text("lt_sample.csv")
    _field(page, "train-name").fill("lt-pd")
    _field(page, "train-target").fill("no_such_target")
    _field(page, "train-id").fill("UniqueID")
    _field(page, "train-rounds").fill("40")
    page.locator("[data-testid=start-training]").click()
    expect(page.locator(".q-field--error")).to_contain_text("no_such_target")  # refused at once, under the field
    _field(page, "train-target").fill("loan_default")
    page.locator("[data-testid=start-training]").click()
    job = page.locator("[data-testid^=job-][data-status]").first
    expect(job).to_be_visible()
    expect(job).to_have_attribute("data-status", "succeeded", timeout=TRAINING_MS)
    expect(job.locator("[data-testid=job-progress]")).to_have_attribute("data-percent", "100")
    page.screenshot(path=str(ARTIFACTS / "risk-1-trained.png"), full_page=True)

    # --- the model's file: metrics, four charts, the bin table; the trainer cannot approve ----------------------
    job.locator("[data-testid=open-model]").click()
    expect(page.locator("[data-testid=model-status]")).to_have_text("草稿")
    expect(page.locator("[data-testid=metric-pd-auc]")).to_have_text(re.compile(r"0\.\d{3}"))
    for chart in ("chart-roc", "chart-ks", "chart-calibration", "chart-importance"):
        expect(page.locator(f"[data-testid={chart}] canvas")).to_be_visible()
    expect(page.locator("[data-testid=bin-table]")).to_contain_text("WoE")
    expect(page.locator("[data-testid=bin-table] tbody tr").first).to_be_visible()
    detail_url = page.url
    page.screenshot(path=str(ARTIFACTS / "risk-2-model.png"), full_page=True)
    page.locator("[data-testid=approve]").click()
    expect(page.locator(".q-notification")).to_contain_text("训练人不能审批")
    expect(page.locator("[data-testid=model-status]")).to_have_text("草稿")
    _sign_out(page)

    # --- a second person approves and promotes -----------------------------------------------------------------
    sign_in(page, console_url, "riskboss", DEFAULT_PASSWORD)
    expect(page.locator("[data-testid=main-menu]")).to_be_visible()
    page.goto(detail_url)
    page.locator("[data-testid=approve]").click()
    expect(page.locator("[data-testid=model-status]")).to_have_text("已审批")
    page.locator("[data-testid=promote]").click()
    expect(page.locator("[data-testid=model-status]")).to_have_text("生产中")

    # --- score one applicant: PD, score, grade and reasons in words --------------------------------------------
    page.goto(f"{console_url}/risk/score")
    for name, value in (("PERFORM_CNS.SCORE", "0"), ("ltv", "92.5"), ("age", "24"), ("disbursed_amount", "60000"),
                        ("asset_cost", "65000")):
        page.locator(f'[data-field="{name}"] input, input[data-field="{name}"]').first.fill(value)
    _field(page, "score-subject").fill("APP-7")
    page.locator("[data-testid=score-submit]").click()
    result = page.locator("[data-testid=score-result]")
    expect(result.locator("[data-testid=result-pd]")).to_have_text(re.compile(r"\d+\.\d{2}%"))
    expect(result.locator("[data-testid=result-grade]")).to_have_text(re.compile(r"^[A-E]$"))
    expect(result.locator("[data-testid=result-reasons]")).to_contain_text("（")
    expect(result.locator("[data-testid=result-log]")).to_contain_text("lt-pd v1")
    page.screenshot(path=str(ARTIFACTS / "risk-3-score.png"), full_page=True)

    # --- PSI monitor: a check over the logged score draws the chart ---------------------------------------------
    page.goto(f"{console_url}/risk/psi")
    page.locator("[data-testid=psi-check]").click()
    expect(page.locator("[data-testid=chart-psi] canvas")).to_be_visible()
    expect(page.locator("[data-testid=psi-table] tbody tr")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "risk-4-psi.png"), full_page=True)

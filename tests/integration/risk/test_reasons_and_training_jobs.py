"""Batch reason codes (path attribution looked up for the whole batch) and training as a background job."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from autofin.audit.models import AuditEvent
from autofin.kernel.errors import PermissionDenied, ValidationFailed
from autofin.risk import service, training
from autofin.risk.modelling.credit import train_credit
from autofin.risk.modelling.features import code_keys, read_csv, to_number, transform
from autofin.risk.models import RiskModel, TrainingJob

DATA = Path(__file__).resolve().parents[2] / "data" / "risk"
LT = DATA / "lt_sample.csv"
CMD = service.TrainCommand(name="lt-bg", kind="pd", target="loan_default", id_column="UniqueID", max_rounds=30)


@pytest.fixture(scope="module")
def credit_model():  # type: ignore[no-untyped-def]
    return train_credit(read_csv(LT), target="loan_default", id_column="UniqueID", max_rounds=60, early_stopping=20)


@pytest.fixture(scope="module")
def matrix(credit_model):  # type: ignore[no-untyped-def]
    return transform(read_csv(LT).head(200), credit_model.schema)


def test_path_contributions_add_up_to_each_rows_log_odds_like_treeshap(credit_model, matrix) -> None:  # type: ignore[no-untyped-def]
    model = credit_model.pd_model
    raw = model.raw_log_odds(matrix)
    path = model.contributions(matrix, exact=False)
    shap = model.contributions(matrix, exact=True)
    assert path.shape == shap.shape == matrix.shape
    # both explain the same prediction: the per-row sums differ only by the model's (constant) average
    np.testing.assert_allclose(path.sum(axis=1) - raw, (path.sum(axis=1) - raw)[0], atol=1e-9)
    np.testing.assert_allclose(shap.sum(axis=1) - raw, (shap.sum(axis=1) - raw)[0], atol=1e-9)


def test_batch_reason_texts_equal_the_per_row_reasons_and_only_raise_the_risk(credit_model, matrix) -> None:  # type: ignore[no-untyped-def]
    table = credit_model.pd_model.reason_table(matrix, exact=False)
    english, chinese = table.texts()
    rows = table.reasons()
    assert english == ["; ".join(r.en for r in row) for row in rows]
    assert chinese == ["；".join(r.zh for r in row) for row in rows]
    assert all(r.contribution > 0 for row in rows for r in row)
    assert all(len(row) <= 3 for row in rows) and sum(map(len, rows)) > 0
    for row in rows:  # largest first
        assert [r.contribution for r in row] == sorted((r.contribution for r in row), reverse=True)


def test_score_frame_gives_path_reasons_by_default_and_treeshap_on_request(credit_model) -> None:  # type: ignore[no-untyped-def]
    frame = read_csv(LT).head(50)
    fast = credit_model.score_frame(frame)
    exact = credit_model.score_frame(frame, exact_reasons=True)
    columns = ["UniqueID", "pd", "score", "grade"]
    pd.testing.assert_frame_equal(fast[columns], exact[columns])
    matrix = transform(frame, credit_model.schema)
    expected = ["; ".join(r.en for r in row) for row in credit_model.pd_model.reasons(matrix)]
    assert exact["reasons"].tolist() == expected


def test_a_code_column_reads_in_words_not_as_high_or_low(credit_model, matrix) -> None:  # type: ignore[no-untyped-def]
    english, _ = credit_model.pd_model.reason_table(matrix, exact=False).texts()
    words = "; ".join(english)
    assert "loan officer high (Employee_code_ID =" not in words  # a code has no 'high' or 'low'
    assert "loan officer low (Employee_code_ID =" not in words
    assert "past default rate of this loan officer" in words  # the learnt rate of the code, in words


def test_number_and_code_parsing_keep_their_meaning_on_the_fast_path() -> None:
    values = pd.Series(["1,234", "5%", " 7 ", "abc", None, "3.5"], dtype="object")
    np.testing.assert_allclose(to_number(values).to_numpy(), [1234, 5, 7, np.nan, np.nan, 3.5], equal_nan=True)
    codes = code_keys(pd.Series(["3328", "3328.0", None, "12"], dtype="object"))
    assert codes.tolist()[:2] == ["3328", "3328"] and pd.isna(codes.iloc[2]) and codes.iloc[3] == "12"
    mixed = code_keys(pd.Series(["A1", " 7 ", "7.0"], dtype="object"))
    assert mixed.tolist() == ["A1", "7", "7"]


# ---- training as a background job ----------------------------------------------------------------------------


@pytest.fixture()
def analyst(make_user, actor_for):  # type: ignore[no-untyped-def]
    return actor_for(make_user("analyst1", superuser=True))


def _start(app_ctx, actor, content: bytes, cmd: service.TrainCommand = CMD) -> int:  # type: ignore[no-untyped-def]
    with app_ctx.uow() as uow:
        job = training.start_training(uow, actor, cmd, content, "loans.csv")
        uow.commit()
        return job.id


def test_a_queued_training_runs_to_a_draft_model_with_progress_and_the_upload_removed(app_ctx, analyst) -> None:  # type: ignore[no-untyped-def]
    job_id = _start(app_ctx, analyst, LT.read_bytes())
    upload = Path(app_ctx.settings.data_dir) / "risk-uploads" / f"{job_id}.csv"
    with app_ctx.uow() as uow:
        job = training.get_training_job(uow, analyst, job_id)
        assert (job.status, job.percent, job.file_rows) == ("queued", 0, 800)
    assert upload.exists()
    training.run_training(app_ctx, job_id, analyst)  # what the background thread runs
    with app_ctx.uow() as uow:
        job = training.get_training_job(uow, analyst, job_id)
        assert (job.status, job.stage, job.percent) == ("succeeded", "done", 100)
        model = uow.session.get(RiskModel, job.model_id)
        assert model is not None and model.status == "draft" and model.trained_by == "analyst1"
        actions = set(uow.session.execute(select(AuditEvent.action)).scalars())
        assert {"risk.training.start", "risk.model.train"} <= actions
    assert not upload.exists()
    training.run_training(app_ctx, job_id, analyst)  # a finished job is never run twice
    with app_ctx.uow() as uow:
        assert len(uow.session.execute(select(RiskModel)).scalars().all()) == 1


def test_a_training_that_fails_later_ends_failed_with_the_problem_in_both_languages(app_ctx, analyst) -> None:  # type: ignore[no-untyped-def]
    rows = read_csv(LT).head(40)  # two classes, but too few rows to train on: found only when training
    job_id = _start(app_ctx, analyst, rows.to_csv(index=False).encode())
    training.run_training(app_ctx, job_id, analyst)
    with app_ctx.uow() as uow:
        job = uow.session.get(TrainingJob, job_id)
        assert job is not None and job.status == "failed" and job.model_id is None
        assert "at least 50" in (job.error_en or "") and "至少需要 50 行" in (job.error_zh or "")


def test_bad_requests_are_refused_before_a_job_is_recorded(app_ctx, analyst, make_user, actor_for) -> None:  # type: ignore[no-untyped-def]
    one_class = read_csv(LT)
    one_class = one_class[one_class["loan_default"] == "1"].to_csv(index=False).encode()
    cases = [
        (b"   \n", CMD, "file"),
        (b"UniqueID,loan_default\n", CMD, "file"),
        (LT.read_bytes(), service.TrainCommand(name="lt-bg", kind="pd", target="defaulted"), "target"),
        (one_class, CMD, "target"),
        (LT.read_bytes(), service.TrainCommand(name="LT BG", kind="pd", target="loan_default"), "name"),
    ]
    for content, cmd, field in cases:
        with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as refused:
            training.start_training(uow, analyst, cmd, content, "loans.csv")
        assert [e.field for e in refused.value.errors] == [field]
    viewer = actor_for(make_user("viewer1"))
    with app_ctx.uow() as uow, pytest.raises(PermissionDenied):
        training.start_training(uow, viewer, CMD, LT.read_bytes())
    with app_ctx.uow() as uow:
        assert uow.session.execute(select(TrainingJob)).first() is None


def test_a_job_left_running_by_a_stopped_server_ends_failed_when_the_next_training_starts(app_ctx, analyst) -> None:  # type: ignore[no-untyped-def]
    from autofin.kernel.clock import utcnow

    with app_ctx.uow() as uow:
        stale = TrainingJob(name="old", kind="pd", target="loan_default", drop_columns=[], max_rounds=30,
                            file_name="old.csv", file_rows=10, status="running", stage="pd", percent=40,
                            requested_by="analyst1", updated_at=utcnow() - training.ABANDONED_AFTER * 2)
        uow.session.add(stale)
        uow.commit()
        stale_id = stale.id
    _start(app_ctx, analyst, LT.read_bytes())
    with app_ctx.uow() as uow:
        job = uow.session.get(TrainingJob, stale_id)
        assert job is not None and job.status == "failed" and "interrupted" in (job.error_en or "")

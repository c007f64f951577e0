"""The risk API end to end: train in the background → status → a second person approves → promote → score one
applicant → the stored score carries the model version and the inputs; bad files are refused before training."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from autofin.risk.modelling.features import read_csv

LT = Path(__file__).resolve().parents[1] / "data" / "risk" / "lt_sample.csv"
WAIT_SECONDS = 120


@pytest.fixture()
def two_people(make_user, auth_headers, client):  # type: ignore[no-untyped-def]
    make_user("riskdev", superuser=True)
    make_user("riskboss", superuser=True)
    return auth_headers(client, "riskdev"), auth_headers(client, "riskboss")


def _start(client, headers, content: bytes, **form: str):  # type: ignore[no-untyped-def]
    data = {"name": "lt-pd", "target": "loan_default", "id_column": "UniqueID", "max_rounds": "40", **form}
    return client.post("/api/v1/risk/training-jobs", headers=headers, data=data,
                       files={"file": ("loans.csv", content, "text/csv")})


def _wait(client, headers, job_id: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/risk/training-jobs/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.2)  # polling the background job, as the console does
    pytest.fail(f"training job {job_id} did not finish within {WAIT_SECONDS}s")


def test_train_in_the_background_approve_by_a_second_person_and_score_with_the_version_logged(client, two_people):  # type: ignore[no-untyped-def]
    trainer, approver = two_people
    started = _start(client, trainer, LT.read_bytes())
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued" and started.json()["file_rows"] == 800

    job = _wait(client, trainer, started.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["percent"] == 100 and job["model_id"]
    model_id = job["model_id"]
    detail = client.get(f"/api/v1/risk/models/{model_id}", headers=trainer).json()
    assert detail["status"] == "draft" and detail["trained_by"] == "riskdev"
    assert 0.5 < detail["summary"]["pd_auc"] <= 1 and detail["metrics"]["pd"]["roc"]

    refused = client.post(f"/api/v1/risk/models/{model_id}/approve", headers=trainer)
    assert refused.status_code == 409 or refused.status_code == 422, refused.text
    assert refused.json()["code"] == "risk.model.self_approval"
    approved = client.post(f"/api/v1/risk/models/{model_id}/approve", headers=approver)
    assert approved.status_code == 200 and approved.json()["approved_by"] == "riskboss"
    assert client.post(f"/api/v1/risk/models/{model_id}/promote", headers=approver).json()["status"] == "production"

    applicant = read_csv(LT).drop(columns=["loan_default", "UniqueID"]).iloc[3].to_dict()
    scored = client.post("/api/v1/risk/models/lt-pd/score", headers=approver,
                         json={"inputs": applicant, "subject_id": "APP-42"})
    assert scored.status_code == 200, scored.text
    result = scored.json()["result"]
    assert 0 < result["pd"] < 1 and result["grade"] in "ABCDE" and isinstance(result["score"], int)
    assert all(reason["en"] and reason["zh"] for reason in result["reasons"])

    stored = client.get(f"/api/v1/risk/scores/{scored.json()['log_id']}", headers=approver).json()
    assert (stored["model_name"], stored["model_number"], stored["subject_id"]) == ("lt-pd", 1, "APP-42")
    assert stored["inputs"]["PERFORM_CNS.SCORE"] == applicant["PERFORM_CNS.SCORE"]
    assert stored["output"]["score"] == result["score"]
    table = client.get(f"/api/v1/risk/models/{model_id}/scorecard", headers=approver).json()
    assert table and {"feature", "bin", "woe", "points"} <= set(table[0])


def _header_and_rows(rows: int) -> bytes:
    lines = LT.read_text(encoding="utf-8").splitlines()
    return ("\n".join(lines[: rows + 1]) + "\n").encode()


@pytest.mark.parametrize(
    ("content", "form", "field", "words"),
    [
        (b"", {}, "file", "empty"),
        (_header_and_rows(0), {}, "file", "no data rows"),
        (_header_and_rows(50), {"target": "defaulted"}, "target", "defaulted"),
        (_header_and_rows(50), {"drop": "no_such_column"}, "drop", "no_such_column"),
        (_header_and_rows(50), {"id_column": "applicant"}, "id_column", "applicant"),
    ],
    ids=["empty-file", "header-only", "missing-target", "unknown-drop-column", "missing-id-column"],
)
def test_a_file_that_cannot_train_is_refused_at_once_naming_the_problem(client, two_people, content, form, field,
                                                                         words):  # type: ignore[no-untyped-def]
    trainer, _ = two_people
    response = _start(client, {**trainer, "Accept-Language": "en"}, content, **form)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "risk.data.invalid"
    assert [e["field"] for e in body["errors"]] == [field]
    assert words in body["detail"] or words in str(body["errors"])
    assert client.get("/api/v1/risk/training-jobs", headers=trainer).json()["count"] == 0


def test_a_one_class_target_is_refused_in_both_languages(client, two_people):  # type: ignore[no-untyped-def]
    trainer, _ = two_people
    frame = read_csv(LT)
    frame = frame[frame["loan_default"] == "0"]
    response = _start(client, {**trainer, "Accept-Language": "en"}, frame.to_csv(index=False).encode())
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "target"
    assert "only one class" in str(response.json())
    chinese = _start(client, trainer, frame.to_csv(index=False).encode())
    assert "只有一个取值" in str(chinese.json())


def test_training_jobs_need_the_train_permission(client, make_user, auth_headers):  # type: ignore[no-untyped-def]
    make_user("viewer")
    response = _start(client, auth_headers(client, "viewer"), LT.read_bytes())
    assert response.status_code == 403

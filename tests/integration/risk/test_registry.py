"""Model registry on the database: a draft needs a second person's approval before production; scores are logged."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from autofin.audit.models import AuditEvent
from autofin.kernel.errors import PermissionDenied, RuleViolation
from autofin.risk import service
from autofin.risk.modelling.features import read_csv
from autofin.risk.models import PsiCheck, ScoreLog

LT = Path(__file__).resolve().parents[2] / "data" / "risk" / "lt_sample.csv"
CMD = service.TrainCommand(name="lt-pd", kind="pd", target="loan_default", id_column="UniqueID", max_rounds=30)


@pytest.fixture()
def people(make_user, actor_for):  # type: ignore[no-untyped-def]
    trainer = actor_for(make_user("trainer1", superuser=True))
    approver = actor_for(make_user("approver1", superuser=True))
    clerk = actor_for(make_user("clerk1"))
    return trainer, approver, clerk


def _train(app_ctx, actor):  # type: ignore[no-untyped-def]
    with app_ctx.uow() as uow:
        model = service.train_model(uow, actor, CMD, LT.read_bytes())
        uow.commit()
        return model.id, model.number, model.artifact_path


def test_a_trained_model_is_a_draft_with_its_data_hash_and_metrics(app_ctx, people) -> None:  # type: ignore[no-untyped-def]
    trainer, _, _ = people
    model_id, number, path = _train(app_ctx, trainer)
    assert number == 1
    assert Path(path).is_relative_to(Path(app_ctx.settings.data_dir) / "models")
    with app_ctx.uow() as uow:
        model = service.get_model(uow, trainer, model_id)
        assert model.status == "draft" and model.trained_by == "trainer1"
        assert len(model.data_sha256) == 64
        assert 0.5 < model.metrics["summary"]["pd_auc"] <= 1
        assert any(f["name"] == "PERFORM_CNS.SCORE" for f in model.features)
        assert uow.session.execute(select(AuditEvent).where(AuditEvent.action == "risk.model.train")).first()


def test_the_trainer_cannot_approve_their_own_model_but_a_second_person_can(app_ctx, people) -> None:  # type: ignore[no-untyped-def]
    trainer, approver, _ = people
    model_id, _, _ = _train(app_ctx, trainer)
    with app_ctx.uow() as uow, pytest.raises(RuleViolation) as refused:
        service.approve_model(uow, trainer, model_id)
    assert refused.value.code == "risk.model.self_approval"
    with app_ctx.uow() as uow, pytest.raises(RuleViolation):
        service.promote_model(uow, approver, model_id)  # a draft cannot go to production
    with app_ctx.uow() as uow:
        model = service.approve_model(uow, approver, model_id)
        assert model.approved_by == "approver1"
        service.promote_model(uow, approver, model_id)
        uow.commit()
    with app_ctx.uow() as uow:
        assert service.get_model(uow, approver, model_id).status == "production"


def test_promoting_a_new_version_retires_the_old_one_and_scores_are_logged_with_the_version(app_ctx, people) -> None:  # type: ignore[no-untyped-def]
    trainer, approver, clerk = people
    first, _, _ = _train(app_ctx, trainer)
    second, number, _ = _train(app_ctx, trainer)
    assert number == 2
    for model_id in (first, second):
        with app_ctx.uow() as uow:
            service.approve_model(uow, approver, model_id)
            service.promote_model(uow, approver, model_id)
            uow.commit()
    applicant = read_csv(LT).drop(columns=["loan_default"]).iloc[0].to_dict()
    with app_ctx.uow() as uow:
        assert service.get_model(uow, approver, first).status == "retired"
        model, output, _log = service.score_one(uow, approver, "lt-pd", applicant, subject_id="APP-1")
        uow.commit()
    assert model.number == 2 and 0 < output["pd"] < 1 and output["grade"] in "ABCDE"
    assert all("en" in r and "zh" in r for r in output["reasons"])
    with app_ctx.uow() as uow:
        stored = uow.session.execute(select(ScoreLog)).scalar_one()
        assert stored.model_number == 2 and stored.subject_id == "APP-1"
        assert stored.inputs["PERFORM_CNS.SCORE"] == applicant["PERFORM_CNS.SCORE"]
        check = service.check_psi(uow, approver, second)
        uow.commit()
    assert check is not None and check.rows == 1 and check.psi >= 0
    with app_ctx.uow() as uow:
        assert uow.session.execute(select(PsiCheck)).scalar_one().status == check.status
    with app_ctx.uow() as uow, pytest.raises(PermissionDenied):
        service.score_one(uow, clerk, "lt-pd", applicant)


def test_the_api_trains_from_an_upload_and_refuses_self_approval(app_ctx, admin_client, make_user, auth_headers,  # type: ignore[no-untyped-def]
                                                                 client) -> None:
    response = admin_client.post("/api/v1/risk/models", files={"file": ("lt.csv", LT.read_bytes(), "text/csv")},
                                 data={"name": "api-pd", "target": "loan_default", "id_column": "UniqueID",
                                       "max_rounds": "30"})
    assert response.status_code == 201, response.text
    model = response.json()
    assert model["status"] == "draft" and model["number"] == 1
    refused = admin_client.post(f"/api/v1/risk/models/{model['id']}/approve")
    assert refused.status_code == 422 and refused.json()["code"] == "risk.model.self_approval"
    make_user("second", superuser=True)
    headers = auth_headers(client, "second")
    assert client.post(f"/api/v1/risk/models/{model['id']}/approve", headers=headers).status_code == 200
    assert client.post(f"/api/v1/risk/models/{model['id']}/promote", headers=headers).json()["status"] == "production"
    listed = admin_client.get("/api/v1/risk/models").json()
    assert listed["count"] == 1 and listed["data"][0]["summary"]["pd_auc"] > 0.5
    applicant = {k: v for k, v in read_csv(LT).iloc[0].to_dict().items() if k != "loan_default"}
    scored = admin_client.post("/api/v1/risk/models/api-pd/score", json={"inputs": applicant, "subject_id": "A-9"})
    assert scored.status_code == 200, scored.text
    assert scored.json()["result"]["grade"] in "ABCDE"
    unknown = admin_client.post("/api/v1/risk/models/api-pd/score", json={"inputs": {"shoe_size": 42}})
    assert unknown.status_code == 422 and "shoe_size" in unknown.text
    bad = admin_client.post("/api/v1/risk/models", files={"file": ("e.csv", b"", "text/csv")},
                            data={"name": "empty", "target": "y"})
    assert bad.status_code == 422, bad.text

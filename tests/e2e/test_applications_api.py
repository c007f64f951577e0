"""The origination API: intake by a dealer or salesperson, checks, dispatch, two review chains, committee, expiry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from autofin.customers import identity
from autofin.kernel.clock import set_clock, utcnow
from autofin.platform.service import run_job
from autofin.products import demo as product_demo
from autofin.vehicles.vin import make_vin

SERIAL = iter(range(1, 10_000))


@pytest.fixture()
def products(app_ctx):
    with app_ctx.uow() as uow:
        product_demo.load(uow, app_ctx.settings)
        uow.commit()


def _customer(client, headers, name="王五", birth=date(1988, 3, 9)):
    n = next(SERIAL)
    body = {"kind": "individual", "name": name, "id_type": "resident_id",
            "id_number": identity.make_resident_id("110101", birth, 300 + n), "phone": f"1380000{n:04d}"}
    response = client.post("/api/v1/customers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"], body["id_number"]


def _vehicle(client, headers, price="300000.00"):
    vin = make_vin("LFV2A21K", "P", "3", f"{400000 + next(SERIAL):06d}")
    response = client.post("/api/v1/vehicles", json={"vin": vin, "condition": "new", "powertrain": "ice",
                                                     "use": "self", "invoice_price": price}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"], vin


def _draft(client, headers, *, amount_down=("200000.00", "120000.00"), **overrides):
    customer_id, _ = _customer(client, headers)
    vehicle_id, _ = _vehicle(client, headers)
    body = {"applicant_id": customer_id, "vehicle_id": vehicle_id, "product_code": "NEW-ANNUITY",
            "price": amount_down[0], "down_payment": amount_down[1], "term": 36, "method": "annuity",
            "channel": "dealer", "purpose": "购车"}
    body.update(overrides)
    response = client.post("/api/v1/applications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "draft"
    return response.json()


def _submit(client, headers, application_id):
    return client.post(f"/api/v1/applications/{application_id}/submit", headers=headers)


def _task_of(client, headers, application_id):
    tasks = client.get("/api/v1/tasks", headers=headers).json()["data"]
    return next((t for t in tasks if t["application_id"] == application_id), None)


@pytest.fixture()
def people(client, make_user, auth_headers, products):
    make_user("sales1", role_codes=["sales"])
    for name in ("rev1", "rev2", "rev3", "rev4", "rev5"):
        make_user(name, role_codes=["reviewer"])
    make_user("boss", role_codes=["admin"], superuser=True)
    return {name: auth_headers(client, name) for name in ("sales1", "rev1", "rev2", "rev3", "rev4", "rev5", "boss")}


def test_a_small_application_walks_first_and_final_review_to_approval_with_different_reviewers(client, people):
    draft = _draft(client, people["sales1"])
    submitted = _submit(client, people["sales1"], draft["id"])
    assert submitted.status_code == 200, submitted.text
    assert {c["name"] for c in submitted.json()["checks"]} >= {"kyc", "in_flight", "policy.ltv", "rules"}
    assert submitted.json()["application"]["status"] == "in_review"
    assert submitted.json()["application"]["current_stage"] == "first_review"

    first = _task_of(client, people["rev1"], draft["id"])
    assert first is not None and first["mine"] and first["stage"] == "first_review" and not first["overdue"]
    response = client.post(f"/api/v1/applications/{draft['id']}/review", headers=people["rev1"],
                           json={"decision": "approve", "comment": "资料齐全", "task_version": first["version"]})
    assert response.status_code == 200, response.text
    assert response.json()["current_stage"] == "final_review"

    final = _task_of(client, people["rev2"], draft["id"])
    assert final is not None and final["mine"], "the final stage goes to someone who did not review the first"
    response = client.post(f"/api/v1/applications/{draft['id']}/review", headers=people["rev2"],
                           json={"decision": "approve", "approved_amount": "75000.00", "approved_term": 36,
                                 "conditions": ["GPS安装"]})
    assert response.status_code == 200, response.text
    approved = response.json()
    assert approved["status"] == "approved" and approved["approved_amount"] == "75000.00"
    assert approved["approved_rate"] and approved["approval_expires_at"]

    detail = client.get(f"/api/v1/applications/{draft['id']}", headers=people["sales1"]).json()
    actions = [(t["stage"], t["action"], t["actor_name"]) for t in detail["timeline"]]
    assert ("first_review", "reviewed", "rev1") in actions and ("final_review", "approved", "rev2") in actions
    assert detail["checks"] and all(c["outcome"] == "pass" for c in detail["checks"])
    inbox = client.get("/api/v1/platform/inbox", headers=people["sales1"])
    assert any("批准" in m["title"] for m in inbox.json()["data"]), "the dealer hears of the decision"
    reviewer_inbox = client.get("/api/v1/platform/inbox", headers=people["rev1"]).json()["data"]
    assert any(draft["number"] in m["title"] for m in reviewer_inbox), "the assigned reviewer was told"


def test_a_large_application_goes_through_second_review_and_the_committee_majority_decides(client, people):
    draft = _draft(client, people["sales1"], amount_down=("300000.00", "100000.00"))  # 200,000 > 100,000
    assert _submit(client, people["sales1"], draft["id"]).json()["application"]["current_stage"] == "first_review"
    reviewers = iter(["rev1", "rev2", "rev3", "rev4", "rev5"])
    acted = []
    for stage in ("first_review", "second_review"):
        while True:
            name = next(reviewers)
            task = _task_of(client, people[name], draft["id"])
            if task and task["mine"]:
                break
        assert task["stage"] == stage
        response = client.post(f"/api/v1/applications/{draft['id']}/review", headers=people[name],
                               json={"decision": "approve"})
        assert response.status_code == 200, response.text
        acted.append(name)
    assert response.json()["current_stage"] == "committee"

    # a reviewer of an earlier stage may not vote: one person, one stage
    refused = client.post(f"/api/v1/applications/{draft['id']}/committee/votes", headers=people[acted[0]],
                          json={"vote": "approve"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "origination.review.separation_of_duties"

    members = [n for n in ("rev1", "rev2", "rev3", "rev4", "rev5") if n not in acted]
    votes = ["approve", "reject", "approve"]
    for index, (member, vote) in enumerate(zip(members, votes, strict=True)):
        response = client.post(f"/api/v1/applications/{draft['id']}/committee/votes", headers=people[member],
                               json={"vote": vote, "comment": f"第{index + 1}票"})
        assert response.status_code == 200, response.text
        assert response.json()["decided"] is (index == 2), "undecided until the quorum of 3 votes"
    assert response.json()["application"]["status"] == "approved"
    assert [v["vote"] for v in response.json()["votes"]] == votes


def test_the_committee_rejects_when_approvals_are_not_a_majority(client, people, app_ctx):
    from autofin.origination.models import ChainStage

    with app_ctx.uow() as uow:
        stage = uow.session.execute(select(ChainStage).where(ChainStage.stage == "committee")).scalar_one()
        stage.quorum = 2
        uow.commit()
    draft = _draft(client, people["sales1"], amount_down=("300000.00", "100000.00"))
    _submit(client, people["sales1"], draft["id"])
    acted = []
    for _stage in range(2):
        name = next(n for n in ("rev1", "rev2", "rev3", "rev4", "rev5")
                    if (t := _task_of(client, people[n], draft["id"])) and t["mine"])
        assert client.post(f"/api/v1/applications/{draft['id']}/review", headers=people[name],
                           json={"decision": "approve"}).status_code == 200
        acted.append(name)
    members = [n for n in ("rev1", "rev2", "rev3", "rev4", "rev5") if n not in acted]
    client.post(f"/api/v1/applications/{draft['id']}/committee/votes", headers=people[members[0]],
                json={"vote": "approve"})
    response = client.post(f"/api/v1/applications/{draft['id']}/committee/votes", headers=people[members[1]],
                           json={"vote": "reject"})
    assert response.json()["decided"] is True
    assert response.json()["application"]["status"] == "rejected", "1 of 2 is not more than half"
    again = client.post(f"/api/v1/applications/{draft['id']}/committee/votes", headers=people[members[2]],
                        json={"vote": "approve"})
    assert again.status_code == 409


def test_the_submitter_reviewing_their_own_application_is_refused_with_403(client, people, make_user, auth_headers):
    make_user("allround", role_codes=["sales", "reviewer"])
    headers = auth_headers(client, "allround")
    draft = _draft(client, headers)
    assert _submit(client, headers, draft["id"]).status_code == 200
    response = client.post(f"/api/v1/applications/{draft['id']}/review", headers=headers,
                           json={"decision": "approve"})
    assert response.status_code == 403
    assert response.json()["code"] == "origination.review.separation_of_duties"
    assert _task_of(client, headers, draft["id"]) is None, "one's own application never shows in one's queue"


def test_two_reviewers_acting_on_the_same_task_one_wins_the_other_gets_409(client, people):
    draft = _draft(client, people["sales1"])
    _submit(client, people["sales1"], draft["id"])
    task = _task_of(client, people["rev1"], draft["id"])
    released = client.post(f"/api/v1/tasks/{task['id']}/release", headers=people["rev1"],
                           json={"task_version": task["version"]})
    assert released.status_code == 200 and released.json()["assignee_id"] is None
    seen = _task_of(client, people["rev2"], draft["id"])  # both see the task in the pool, same version
    assert seen is not None and not seen["mine"]
    first = client.post(f"/api/v1/applications/{draft['id']}/review", headers=people["rev2"],
                        json={"decision": "approve", "task_version": seen["version"]})
    second = client.post(f"/api/v1/applications/{draft['id']}/review", headers=people["rev3"],
                         json={"decision": "reject", "reason_code": "policy", "task_version": seen["version"]})
    assert first.status_code == 200
    assert second.status_code == 409
    assert client.get(f"/api/v1/applications/{draft['id']}", headers=people["boss"]).json()["status"] == "in_review"


def test_claim_release_and_supervisor_reassignment(client, people, app_ctx):
    draft = _draft(client, people["sales1"])
    _submit(client, people["sales1"], draft["id"])
    task = _task_of(client, people["rev1"], draft["id"])
    taken = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=people["rev2"])
    assert taken.status_code == 409 and taken.json()["code"] == "origination.task.taken"
    assert client.post(f"/api/v1/tasks/{task['id']}/reassign", headers=people["rev1"],
                       json={"assignee_id": 1}).status_code == 403
    with app_ctx.uow() as uow:
        from autofin.org.service import find_user

        rev3_id = find_user(uow, "rev3").id
        sales_id = find_user(uow, "sales1").id
    moved = client.post(f"/api/v1/tasks/{task['id']}/reassign", headers=people["boss"], json={"assignee_id": rev3_id})
    assert moved.status_code == 200 and moved.json()["assignee_id"] == rev3_id
    assert _task_of(client, people["rev3"], draft["id"])["mine"]
    to_submitter = client.post(f"/api/v1/tasks/{task['id']}/reassign", headers=people["boss"],
                               json={"assignee_id": sales_id})
    assert to_submitter.status_code == 422


def test_reject_and_return_need_a_reason_code_and_return_lets_the_dealer_resubmit(client, people):
    draft = _draft(client, people["sales1"])
    _submit(client, people["sales1"], draft["id"])
    missing = client.post(f"/api/v1/applications/{draft['id']}/review", headers=people["rev1"],
                          json={"decision": "return"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "reason_code"
    returned = client.post(f"/api/v1/applications/{draft['id']}/review", headers=people["rev1"],
                           json={"decision": "return", "reason_code": "documents_missing", "comment": "补充流水"})
    assert returned.json()["status"] == "returned"
    again = _submit(client, people["sales1"], draft["id"])
    assert again.status_code == 200 and again.json()["application"]["status"] == "in_review"


def test_a_blacklisted_applicant_is_refused_with_422_and_the_application_stays_a_draft(client, people):
    customer_id, id_number = _customer(client, people["sales1"], name="黑名单")
    vehicle_id, _ = _vehicle(client, people["sales1"])
    assert client.post("/api/v1/blacklist", json={"id_number": id_number, "reason": "欺诈"},
                       headers=people["boss"]).status_code in (200, 201)
    draft = client.post("/api/v1/applications", headers=people["sales1"], json={
        "applicant_id": customer_id, "vehicle_id": vehicle_id, "product_code": "NEW-ANNUITY", "price": "200000.00",
        "down_payment": "120000.00", "term": 36}).json()
    response = _submit(client, people["sales1"], draft["id"])
    assert response.status_code == 422
    assert response.json()["code"] == "origination.applicant.blacklisted"
    after = client.get(f"/api/v1/applications/{draft['id']}", headers=people["sales1"]).json()
    assert after["status"] == "draft" and after["checks"] == []


def test_a_stale_version_edit_answers_409(client, people):
    draft = _draft(client, people["sales1"])
    ok = client.patch(f"/api/v1/applications/{draft['id']}", headers=people["sales1"],
                      json={"version": draft["version"], "term": 24})
    assert ok.status_code == 200 and ok.json()["version"] == draft["version"] + 1
    stale = client.patch(f"/api/v1/applications/{draft['id']}", headers=people["sales1"],
                         json={"version": draft["version"], "term": 48})
    assert stale.status_code == 409


def test_a_dealer_sees_only_its_own_dealers_applications(client, make_user, auth_headers, products, app_ctx):
    from autofin.kernel.actor import SYSTEM
    from autofin.org import service as org
    from autofin.org.schemas import DepartmentCreate

    with app_ctx.uow() as uow:
        for code in ("DEALER-A", "DEALER-B"):
            org.create_department(uow, SYSTEM, DepartmentCreate(code=code, name=code))
        uow.commit()
    make_user("dealer_a", role_codes=["dealer"], department_code="DEALER-A")
    make_user("dealer_b", role_codes=["dealer"], department_code="DEALER-B")
    a, b = auth_headers(client, "dealer_a"), auth_headers(client, "dealer_b")
    mine = _draft(client, a)
    theirs = _draft(client, b)
    listed = client.get("/api/v1/applications", headers=a).json()
    assert [row["id"] for row in listed["data"]] == [mine["id"]] and listed["count"] == 1
    assert client.get(f"/api/v1/applications/{theirs['id']}", headers=a).status_code == 404
    assert client.post(f"/api/v1/applications/{theirs['id']}/submit", headers=a).status_code == 404


def test_rules_crud_refuses_an_invalid_expression_with_the_parsers_message(client, people):
    bad = client.post("/api/v1/origination/rules", headers=people["boss"],
                      json={"code": "old-long", "name": "高龄长期", "expression": "applicant.age > 60 and",
                            "outcome": "refer"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "expression"
    good = client.post("/api/v1/origination/rules", headers=people["boss"],
                       json={"code": "old-long", "name": "高龄长期", "expression": "applicant.age > 60 and term > 36",
                             "outcome": "refer"})
    assert good.status_code == 201
    assert client.get("/api/v1/origination/rules", headers=people["boss"]).json()["count"] == 1
    assert client.get("/api/v1/origination/rules", headers=people["rev1"]).status_code == 403
    edited = client.patch(f"/api/v1/origination/rules/{good.json()['id']}", headers=people["boss"],
                          json={"version": 1, "active": False})
    assert edited.status_code == 200 and edited.json()["active"] is False
    gone = client.delete(f"/api/v1/origination/rules/{good.json()['id']}?version=2", headers=people["boss"])
    assert gone.status_code == 204


def test_an_unused_approval_expires_when_the_job_runs_after_its_validity(client, people, app_ctx):
    draft = _draft(client, people["sales1"])
    _submit(client, people["sales1"], draft["id"])
    for name in ("rev1", "rev2"):
        assert client.post(f"/api/v1/applications/{draft['id']}/review", headers=people[name],
                           json={"decision": "approve"}).status_code == 200
    later = utcnow() + timedelta(days=31)
    set_clock(lambda: later)
    run = run_job(app_ctx, "origination.expire_approvals", trigger="manual")
    set_clock(None)
    assert run is not None and run.status == "succeeded"
    status = client.get(f"/api/v1/applications/{draft['id']}", headers=people["sales1"]).json()
    assert status["status"] == "expired"
    assert status["timeline"][-1]["action"] == "expired"


def test_a_reviewer_attaches_a_document_to_the_decision_and_the_timeline_names_it(client, people):
    from tests.unit.documents import samples

    draft = _draft(client, people["sales1"])
    _submit(client, people["sales1"], draft["id"])
    uploaded = client.post(
        "/api/v1/documents",
        headers=people["rev1"],
        data={"kind": "review_note", "owner_type": "application", "owner_id": str(draft["id"])},
        files={"file": ("核查记录.pdf", samples.pdf(), "application/pdf")},
    )
    assert uploaded.status_code == 201, uploaded.text
    document_id = uploaded.json()["id"]
    response = client.post(f"/api/v1/applications/{draft['id']}/review", headers=people["rev1"],
                           json={"decision": "approve", "comment": "电话核实无误", "attachment_ids": [document_id]})
    assert response.status_code == 200, response.text
    detail = client.get(f"/api/v1/applications/{draft['id']}", headers=people["boss"]).json()
    reviewed = next(t for t in detail["timeline"] if t["action"] == "reviewed")
    assert reviewed["attachment_ids"] == [document_id] and reviewed["actor_name"] == "rev1"


def test_attaching_a_document_that_does_not_exist_refuses_the_decision_and_changes_nothing(client, people):
    draft = _draft(client, people["sales1"])
    _submit(client, people["sales1"], draft["id"])
    response = client.post(f"/api/v1/applications/{draft['id']}/review", headers=people["rev1"],
                           json={"decision": "approve", "attachment_ids": [987654]})
    assert response.status_code == 404, response.text
    detail = client.get(f"/api/v1/applications/{draft['id']}", headers=people["boss"]).json()
    assert detail["current_stage"] == "first_review"
    assert not [t for t in detail["timeline"] if t["action"] == "reviewed"]

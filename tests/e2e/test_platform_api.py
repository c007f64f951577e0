"""The platform API: parameters, dictionary, jobs and the caller's inbox, as a signed-in client sees them."""

from autofin.platform import service


def test_an_administrator_creates_a_parameter_changes_it_and_reads_its_history(admin_client):
    created = admin_client.post("/api/v1/platform/parameters", json={
        "key": "fee.consulting_rate", "value_type": "decimal", "value": "0.015", "effective_from": "2025-01-01",
        "description_zh": "咨询费率", "description_en": "Consulting fee rate"})
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1 and created.json()["changed_by_name"] == "admin"
    changed = admin_client.post("/api/v1/platform/parameters/fee.consulting_rate/versions", json={
        "value": "0.02", "effective_from": "2026-01-01", "expected_version": 1, "note": "2026 price list"})
    assert changed.status_code == 201 and changed.json()["version"] == 2
    stale = admin_client.post("/api/v1/platform/parameters/fee.consulting_rate/versions", json={
        "value": "0.03", "expected_version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "platform.parameter.stale_version"
    history = admin_client.get("/api/v1/platform/parameters/fee.consulting_rate/versions").json()
    assert history["count"] == 2 and [v["value"] for v in history["data"]] == ["0.02", "0.015"]
    value = admin_client.get("/api/v1/platform/parameters/fee.consulting_rate/value", params={"on": "2025-06-01"})
    assert value.json()["value"] == "0.015" and value.json()["value_type"] == "decimal"
    listed = admin_client.get("/api/v1/platform/parameters", params={"q": "consulting"}).json()
    assert listed["count"] == 2


def test_bad_parameter_input_answers_a_problem_naming_the_field_in_the_callers_language(admin_client):
    bad = admin_client.post("/api/v1/platform/parameters", json={
        "key": "risk.limit", "value_type": "decimal", "value": 0.5}, headers={"Accept-Language": "en"})
    assert bad.status_code == 422 and bad.json()["code"] == "platform.parameter.invalid_value"
    assert bad.json()["errors"][0]["field"] == "value" and "string" in bad.json()["errors"][0]["message"]
    unknown = admin_client.post("/api/v1/platform/parameters", json={
        "key": "risk.limit", "value_type": "decimal", "value": "0.5", "colour": "red"})
    assert unknown.status_code == 422
    missing = admin_client.get("/api/v1/platform/parameters/no.such_key/value")
    assert missing.status_code == 404 and missing.json()["code"] == "platform.parameter.not_found"


def test_dictionary_items_are_listed_created_and_edited_with_optimistic_locking(admin_client):
    types = admin_client.get("/api/v1/platform/dictionary").json()
    assert "repayment_method" in [t["code"] for t in types["data"]]
    items = admin_client.get("/api/v1/platform/dictionary/repayment_method/items").json()
    assert items["count"] == 5 and items["data"][0]["label_zh"] == "等额本息"
    created = admin_client.post("/api/v1/platform/dictionary/powertrain/items", json={
        "code": "fcev", "label_zh": "燃料电池", "label_en": "Fuel cell"})
    assert created.status_code == 201
    item = created.json()
    edited = admin_client.patch(f"/api/v1/platform/dictionary/items/{item['id']}", json={
        "active": False, "version": item["version"]})
    assert edited.status_code == 200 and edited.json()["active"] is False
    stale = admin_client.patch(f"/api/v1/platform/dictionary/items/{item['id']}", json={
        "label_en": "FCEV", "version": item["version"]})
    assert stale.status_code == 409
    gone = admin_client.delete(f"/api/v1/platform/dictionary/items/{item['id']}",
                               params={"version": edited.json()["version"]})
    assert gone.status_code == 204


def test_jobs_are_listed_paused_resumed_and_run_now_with_the_run_logged(admin_client):
    jobs = admin_client.get("/api/v1/platform/jobs").json()
    assert "platform.deliver_notifications" in [j["name"] for j in jobs["data"]]
    paused = admin_client.post("/api/v1/platform/jobs/platform.deliver_notifications/pause")
    assert paused.status_code == 200 and paused.json()["paused"] is True
    resumed = admin_client.post("/api/v1/platform/jobs/platform.deliver_notifications/resume")
    assert resumed.json()["paused"] is False
    bad_cron = admin_client.put("/api/v1/platform/jobs/platform.deliver_notifications/cron", json={"cron": "nope nope"})
    assert bad_cron.status_code == 422 and bad_cron.json()["errors"][0]["field"] == "cron"
    run = admin_client.post("/api/v1/platform/jobs/platform.purge_idempotency_keys/run")
    assert run.status_code == 200 and run.json()["status"] == "succeeded"
    runs = admin_client.get("/api/v1/platform/jobs/runs", params={"name": "platform.purge_idempotency_keys"}).json()
    assert runs["count"] == 1 and runs["data"][0]["triggered_by_name"] == "admin"


def test_a_user_without_platform_permissions_is_refused_but_reads_their_own_inbox(app_ctx, client, make_user,
                                                                                 auth_headers):
    clerk = make_user("clerk1")
    headers = auth_headers(client, "clerk1")
    assert client.get("/api/v1/platform/parameters", headers=headers).status_code == 403
    assert client.post("/api/v1/platform/jobs/platform.purge_job_runs/run", headers=headers).status_code == 403
    assert client.get("/api/v1/platform/inbox").status_code == 401
    with app_ctx.uow() as uow:
        first = service.notify(uow, clerk.id, "申请已提交", "APP-1 已提交", link="/applications/1")
        service.notify(uow, clerk.id, "合同待签", "请签署合同")
        uow.commit()
    assert client.get("/api/v1/platform/inbox/unread-count", headers=headers).json() == {"unread": 2}
    inbox = client.get("/api/v1/platform/inbox", headers=headers).json()
    assert inbox["count"] == 2 and {m["title"] for m in inbox["data"]} == {"申请已提交", "合同待签"}
    after = client.post("/api/v1/platform/inbox/read", json={"ids": [first.id]}, headers=headers)
    assert after.json() == {"unread": 1}
    unread = client.get("/api/v1/platform/inbox", params={"unread_only": True}, headers=headers).json()
    assert [m["title"] for m in unread["data"]] == ["合同待签"]
    assert client.post("/api/v1/platform/inbox/read", json={"all": True}, headers=headers).json() == {"unread": 0}

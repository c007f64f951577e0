"""The organisation API: departments, positions, users, roles, sessions, login log and the audit trail."""

from tests.fixtures.org import DEFAULT_PASSWORD

DEPARTMENTS = "/api/v1/org/departments"
USERS = "/api/v1/org/users"
ROLES = "/api/v1/org/roles"


def test_departments_are_created_listed_read_and_edited(admin_client):
    created = admin_client.post(DEPARTMENTS, json={"name": "风控部", "code": "RISK", "parent_id": 1})
    assert created.status_code == 201
    department = created.json()
    listing = admin_client.get(DEPARTMENTS, params={"q": "风控"}).json()
    assert listing["count"] == 1 and listing["data"][0]["code"] == "RISK"
    assert admin_client.get(f"{DEPARTMENTS}/{department['id']}").json()["name"] == "风控部"
    edited = admin_client.patch(f"{DEPARTMENTS}/{department['id']}", json={"version": 1, "name": "风险管理部"})
    assert edited.status_code == 200 and edited.json()["version"] == 2
    stale = admin_client.patch(f"{DEPARTMENTS}/{department['id']}", json={"version": 1, "name": "again"})
    assert stale.status_code == 409 and stale.json()["code"] == "db.stale_version"


def test_bad_department_input_gets_a_problem_and_changes_nothing(admin_client):
    cases = [
        {"name": "x" * 65, "code": "LONG"},
        {"name": "x", "code": "BAD CODE"},
        {"name": "x", "code": "X", "parent_id": "one"},
        {"name": "x", "code": "X", "colour": "red"},
        {"code": "X"},
    ]
    for body in cases:
        response = admin_client.post(DEPARTMENTS, json=body)
        assert response.status_code == 422, body
        assert response.json()["errors"]
    assert admin_client.post(DEPARTMENTS, json={"name": "x", "code": "X", "parent_id": 2**61}).status_code == 422
    assert admin_client.get(f"{DEPARTMENTS}/{10**30}").status_code == 422
    assert admin_client.get(f"{DEPARTMENTS}/999").status_code == 404
    assert admin_client.get(DEPARTMENTS, params={"size": 201}).status_code == 422
    assert admin_client.get(DEPARTMENTS).json()["count"] == 1


def test_a_sql_looking_name_comes_back_as_plain_text(admin_client):
    name = "'; DROP TABLE departments; --"
    created = admin_client.post(DEPARTMENTS, json={"name": name, "code": "SQL", "parent_id": 1})
    assert created.json()["name"] == name
    assert admin_client.get(DEPARTMENTS, params={"q": "drop"}).json()["data"][0]["name"] == name


def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(admin_client):
    headers = {"Idempotency-Key": "dept-create-0001"}
    body = {"name": "审批部", "code": "APPROVAL", "parent_id": 1}
    first = admin_client.post(DEPARTMENTS, json=body, headers=headers)
    replay = admin_client.post(DEPARTMENTS, json=body, headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = admin_client.post(DEPARTMENTS, json={**body, "name": "审批二部"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency.key_reused"
    assert admin_client.get(DEPARTMENTS, params={"q": "APPROVAL"}).json()["count"] == 1


def test_users_are_created_searched_edited_and_disabled(admin_client, client):
    body = {"username": "li.lei", "display_name": "李雷", "password": DEFAULT_PASSWORD, "department_id": 1,
            "phone": "13800138000", "email": "li@example.com", "role_codes": ["reviewer"]}
    created = admin_client.post(USERS, json=body)
    assert created.status_code == 201
    user = created.json()
    duplicate = admin_client.post(USERS, json=body)
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "org.user.username_taken"
    found = admin_client.get(USERS, params={"q": "李"}).json()
    assert found["count"] == 1 and found["data"][0]["username"] == "li.lei"
    edited = admin_client.patch(f"{USERS}/{user['id']}", json={"version": user["version"], "display_name": "李 雷"})
    assert edited.status_code == 200
    stale = admin_client.patch(f"{USERS}/{user['id']}", json={"version": user["version"], "display_name": "x"})
    assert stale.status_code == 409
    roles = admin_client.put(f"{USERS}/{user['id']}/roles", json={"role_codes": ["finance"]})
    assert roles.json()["role_codes"] == ["finance"]
    assert admin_client.post(f"{USERS}/{user['id']}/disable").json()["status"] == "disabled"
    login = "/api/v1/auth/login"
    assert client.post(login, json={"username": "li.lei", "password": DEFAULT_PASSWORD}).status_code == 401
    assert admin_client.post(f"{USERS}/{user['id']}/enable").json()["status"] == "active"
    reset = admin_client.post(f"{USERS}/{user['id']}/reset-password", json={"new_password": "Another-Secret-9"})
    assert reset.status_code == 200
    assert client.post(login, json={"username": "li.lei", "password": "Another-Secret-9"}).status_code == 200
    assert admin_client.post(f"{USERS}/{user['id']}/unlock").status_code == 200


def test_bad_user_input_is_refused_field_by_field(admin_client):
    base = {"username": "li.lei", "display_name": "李雷", "password": DEFAULT_PASSWORD, "department_id": 1}
    for change, field in [
        ({"username": "a b"}, "username"),
        ({"username": "ab"}, "username"),
        ({"email": "nope"}, "email"),
        ({"phone": "12345"}, "phone"),
        ({"display_name": "名" * 65}, "display_name"),
        ({"role_codes": "admin"}, "role_codes"),
        ({"password": "short"}, "password"),
        ({"role_codes": ["wizard"]}, "role_codes"),
        ({"department_id": 999}, "department_id"),
    ]:
        response = admin_client.post(USERS, json={**base, **change}, headers={"Accept-Language": "en"})
        assert response.status_code == 422, (change, response.text)
        assert field in {e["field"].split(".")[0] for e in response.json()["errors"]}, response.json()
    assert admin_client.get(USERS, params={"q": "li.lei"}).json()["count"] == 0


def test_acting_without_the_permission_is_403(client, make_user, auth_headers):
    make_user("reviewer9", role_codes=["reviewer"])
    headers = auth_headers(client, "reviewer9")
    response = client.post(DEPARTMENTS, json={"name": "x", "code": "X", "parent_id": 1}, headers=headers)
    assert response.status_code == 403 and response.json()["code"] == "auth.permission_denied"
    assert client.get(USERS, headers=headers).status_code == 403


def test_a_department_scoped_user_lists_only_its_own_users(admin_client, client, make_user, auth_headers):
    east = admin_client.post(DEPARTMENTS, json={"name": "华东大区", "code": "EAST", "parent_id": 1}).json()
    admin_client.post(DEPARTMENTS, json={"name": "风控部", "code": "RISK", "parent_id": 1})
    admin_client.post(ROLES, json={"code": "branch", "name_zh": "分公司", "name_en": "Branch",
                                   "data_scope": "department", "permissions": ["org.user.view"]})
    make_user("east.boss", role_codes=["branch"], department_code="EAST")
    make_user("east.clerk", department_code="EAST")
    other = make_user("risk.clerk", department_code="RISK")
    headers = auth_headers(client, "east.boss")
    listing = client.get(USERS, headers=headers).json()
    assert sorted(u["username"] for u in listing["data"]) == ["east.boss", "east.clerk"]
    assert all(u["department_id"] == east["id"] for u in listing["data"])
    assert client.get(f"{USERS}/{other.id}", headers=headers).status_code == 404


def test_roles_are_created_read_and_edited(admin_client):
    created = admin_client.post(ROLES, json={
        "code": "auditor", "name_zh": "稽核", "name_en": "Auditor", "data_scope": "all",
        "permissions": ["audit.event.view"]})
    assert created.status_code == 201
    role = created.json()
    assert admin_client.get(f"{ROLES}/{role['id']}").json()["permissions"] == ["audit.event.view"]
    edited = admin_client.patch(f"{ROLES}/{role['id']}", json={"version": role["version"], "requires_totp": True})
    assert edited.json()["requires_totp"] is True
    unknown = admin_client.post(ROLES, json={"code": "odd", "name_zh": "x", "name_en": "x",
                                             "permissions": ["org.user.fly"]})
    assert unknown.status_code == 422
    bad_scope = admin_client.post(ROLES, json={"code": "odd", "name_zh": "x", "name_en": "x", "data_scope": "galaxy"})
    assert bad_scope.status_code == 422
    codes = {r["code"] for r in admin_client.get(ROLES, params={"size": 200}).json()["data"]}
    assert {"admin", "sales", "reviewer", "risk", "finance", "collector", "dealer", "auditor"} <= codes


def test_online_sessions_are_listed_and_forced_out(admin_client, client, make_user, auth_headers):
    make_user("li.lei")
    headers = auth_headers(client, "li.lei")
    sessions = admin_client.get("/api/v1/org/sessions", params={"q": "li.lei"}).json()
    assert sessions["count"] == 1
    revoke = admin_client.post(f"/api/v1/org/sessions/{sessions['data'][0]['id']}/revoke")
    assert revoke.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_the_login_log_lists_attempts_with_filters(admin_client, client, make_user):
    make_user("li.lei")
    client.post("/api/v1/auth/login", json={"username": "li.lei", "password": "Wrong-Password-1"})
    failures = admin_client.get("/api/v1/org/login-log", params={"username": "li.lei", "success": False}).json()
    assert failures["count"] == 1 and failures["data"][0]["reason"] == "wrong_password"
    assert failures["data"][0]["user_agent"]


def test_the_audit_trail_is_queryable_by_entity(admin_client):
    department = admin_client.post(DEPARTMENTS, json={"name": "财务部", "code": "FIN", "parent_id": 1}).json()
    events = admin_client.get("/api/v1/audit/events",
                              params={"entity_type": "department", "entity_id": str(department["id"])}).json()
    assert events["count"] == 1
    event = events["data"][0]
    assert event["action"] == "org.department.create" and event["actor_name"] == "admin"
    assert event["after"]["code"] == "FIN" and event["request_id"]


def test_positions_over_the_api(admin_client):
    created = admin_client.post("/api/v1/org/positions", json={"code": "REVIEWER", "name": "审批专员"})
    assert created.status_code == 201
    assert admin_client.get("/api/v1/org/positions").json()["count"] == 1

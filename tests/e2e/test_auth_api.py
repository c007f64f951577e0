"""The sign-in contract over HTTP: login, lockout, same answer for unknown users, logout, /me, languages."""

from tests.fixtures.org import DEFAULT_PASSWORD

LOGIN = "/api/v1/auth/login"


def login(client, username, password=DEFAULT_PASSWORD, **extra):
    return client.post(LOGIN, json={"username": username, "password": password, **extra})


def test_signing_in_answers_a_token_its_expiry_and_the_user(client, make_user):
    make_user("li.lei", role_codes=["reviewer"])
    response = login(client, "li.lei")
    assert response.status_code == 200
    body = response.json()
    assert body["token"] and body["expires_at"]
    assert body["user"]["username"] == "li.lei" and body["user"]["role_codes"] == ["reviewer"]
    assert "password_hash" not in body["user"] and "totp_secret" not in body["user"]


def test_an_unknown_user_and_a_wrong_password_get_the_same_401(client, make_user):
    make_user("li.lei")
    unknown = login(client, "nobody")
    wrong = login(client, "li.lei", "Wrong-Password-1")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.headers["content-type"].startswith("application/problem+json")
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
    assert strip(unknown.json()) == strip(wrong.json())
    assert unknown.json()["code"] == "auth.invalid_credentials"


def test_five_failures_lock_the_account_with_423(client, make_user):
    make_user("li.lei")
    statuses = [login(client, "li.lei", "Wrong-Password-1").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 423]
    locked = login(client, "li.lei")
    assert locked.status_code == 423
    assert locked.json()["code"] == "auth.account_locked"
    assert "锁定至" in locked.json()["detail"]


def test_an_unknown_username_locks_the_same_way_so_423_does_not_reveal_which_accounts_exist(client, make_user):
    make_user("li.lei")
    real = [login(client, "li.lei", "Wrong-Password-1").status_code for _ in range(6)]
    made_up = [login(client, "han.meimei", "Wrong-Password-1").status_code for _ in range(6)]
    assert made_up == real == [401, 401, 401, 401, 423, 423]


def test_signing_in_does_not_make_an_administrators_open_edit_stale(admin_client, client, make_user):
    user = make_user("li.lei")
    seen = admin_client.get(f"/api/v1/org/users/{user.id}").json()
    login(client, "li.lei", "Wrong-Password-1")
    assert login(client, "li.lei").status_code == 200
    edited = admin_client.patch(
        f"/api/v1/org/users/{user.id}", json={"display_name": "李雷", "version": seen["version"]}
    )
    assert edited.status_code == 200, edited.json()


def test_a_disabled_user_gets_the_same_401(admin_client, client, make_user):
    user = make_user("li.lei")
    assert admin_client.post(f"/api/v1/org/users/{user.id}/disable").status_code == 200
    response = login(client, "li.lei")
    assert response.status_code == 401 and response.json()["code"] == "auth.invalid_credentials"


def test_me_tells_roles_permissions_and_scope(client, make_user, auth_headers):
    make_user("fin", role_codes=["finance"])
    me = client.get("/api/v1/me", headers=auth_headers(client, "fin")).json()
    assert me["user"]["username"] == "fin"
    assert [r["code"] for r in me["roles"]] == ["finance"]
    assert "audit.event.view" in me["permissions"] and "org.user.create" not in me["permissions"]
    assert me["data_scope"]["everything"] is True
    assert me["must_change_password"] is False


def test_logout_revokes_the_token(client, make_user, auth_headers):
    make_user("li.lei")
    headers = auth_headers(client, "li.lei")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    after = client.get("/api/v1/me", headers=headers)
    assert after.status_code == 401 and after.json()["code"] == "auth.session_invalid"


def test_requests_without_or_with_a_bad_token_are_refused(client):
    assert client.get("/api/v1/me").json()["code"] == "auth.token_missing"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401 and bad.json()["code"] == "auth.session_invalid"


def test_messages_follow_accept_language(client):
    chinese = login(client, "nobody").json()
    english = client.post(LOGIN, json={"username": "nobody", "password": "x"},
                          headers={"Accept-Language": "en-US,en;q=0.9"}).json()
    assert chinese["detail"] == "用户名或密码错误，请检查后重试。"
    assert english["detail"] == "Wrong username or password; check both and try again."
    assert chinese["title"] == "认证失败" and english["title"] == "Authentication failed"


def test_a_malformed_login_is_a_422_naming_the_fields(client):
    response = client.post(LOGIN, json={"username": "x" * 65, "password": 12, "remember": True},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"username", "password", "remember"} <= fields


def test_changing_the_password_over_the_api(client, make_user, auth_headers):
    make_user("li.lei")
    headers = auth_headers(client, "li.lei")
    wrong = client.post("/api/v1/me/password", headers=headers,
                        json={"current_password": "nope-nope-1", "new_password": "Brand-New-Secret-7"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "current_password"
    ok = client.post("/api/v1/me/password", headers=headers,
                     json={"current_password": DEFAULT_PASSWORD, "new_password": "Brand-New-Secret-7"})
    assert ok.status_code == 204
    assert login(client, "li.lei", "Brand-New-Secret-7").status_code == 200


def test_a_forced_password_change_blocks_other_calls_with_403(client, make_user, auth_headers):
    make_user("li.lei", role_codes=["admin"], must_change_password=True)
    response = login(client, "li.lei")
    assert response.json()["must_change_password"] is True
    headers = {"Authorization": f"Bearer {response.json()['token']}"}
    blocked = client.get("/api/v1/org/users", headers=headers)
    assert blocked.status_code == 403 and blocked.json()["code"] == "auth.password_change_required"
    assert client.get("/api/v1/me", headers=headers).json()["must_change_password"] is True
    client.post("/api/v1/me/password", headers=headers,
                json={"current_password": DEFAULT_PASSWORD, "new_password": "Brand-New-Secret-7"})
    assert client.get("/api/v1/org/users", headers=headers).status_code == 200


def test_totp_enrolment_and_sign_in_with_the_code(client, make_user, auth_headers):
    from autofin.org import totp

    make_user("li.lei")
    headers = auth_headers(client, "li.lei")
    enrolment = client.post("/api/v1/me/totp", headers=headers).json()
    confirmed = client.post("/api/v1/me/totp/confirm", headers=headers,
                            json={"code": totp.current_code(enrolment["secret"])})
    assert confirmed.status_code == 200 and confirmed.json()["totp_enabled"] is True
    assert login(client, "li.lei").json()["code"] == "auth.totp_required"
    assert login(client, "li.lei", totp=totp.current_code(enrolment["secret"])).status_code == 200

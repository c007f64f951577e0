"""Signing in: credentials, lockout, TOTP, sessions and their expiry, forced password change."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.fixtures.org import DEFAULT_PASSWORD

from autofin.kernel.clock import set_clock, utcnow
from autofin.kernel.errors import AccountLocked, AuthenticationFailed, PermissionDenied
from autofin.org import permissions as perm
from autofin.org import service, totp
from autofin.org.models import LoginLog, User, UserSession


def sign_in(app, username, password=DEFAULT_PASSWORD, code=None):
    """Like the API route: commit on success and on failure (the login log and counters must stay)."""
    with app.uow() as uow:
        try:
            result = service.login(uow, username, password, code, ip="10.0.0.8", user_agent="pytest")
        except Exception:
            uow.commit()
            raise
        uow.commit()
        return result


def actor_of(app, token):
    with app.uow() as uow:
        actor = service.actor_for_token(uow, token, ip="10.0.0.8", user_agent="pytest", request_id="r1",
                                        language="en")
        uow.commit()
        return actor


def last_seen(app):
    with app.uow() as uow:
        return uow.session.execute(select(UserSession.last_seen_at)).scalar_one()


def login_log(app):
    with app.uow() as uow:
        rows = list(uow.session.execute(select(LoginLog).order_by(LoginLog.id)).scalars())
        uow.session.expunge_all()
        return rows


class FrozenClock:
    def __init__(self):
        self.now = utcnow()
        set_clock(lambda: self.now)

    def advance(self, **delta):
        self.now = self.now + timedelta(**delta)


@pytest.fixture()
def clock(app_ctx):
    frozen = FrozenClock()
    yield frozen
    set_clock(None)


def test_the_right_password_opens_a_session_whose_token_resolves_to_the_user(app_ctx, make_user):
    make_user("li.lei", role_codes=["reviewer"])
    result = sign_in(app_ctx, "li.lei")
    actor = actor_of(app_ctx, result.token)
    assert actor.username == "li.lei"
    assert actor.session_id == result.session_id
    assert not actor.is_superuser and not actor.can(perm.USER_CREATE)
    assert actor.language == "en" and actor.request_id == "r1"
    [entry] = login_log(app_ctx)
    assert (entry.username, entry.success, entry.reason, entry.ip, entry.user_agent) == (
        "li.lei", True, "ok", "10.0.0.8", "pytest",
    )


def test_usernames_sign_in_case_insensitively(app_ctx, make_user):
    make_user("li.lei")
    assert sign_in(app_ctx, "  LI.Lei ").user.username == "li.lei"


def test_the_token_is_stored_only_as_its_hash(app_ctx, make_user):
    make_user("li.lei")
    token = sign_in(app_ctx, "li.lei").token
    with app_ctx.uow() as uow:
        stored = uow.session.execute(select(UserSession)).scalar_one()
        uow.session.expunge_all()
    assert stored.token_hash != token and len(stored.token_hash) == 64
    assert token not in stored.token_hash


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(app_ctx, make_user):
    make_user("li.lei")
    with pytest.raises(AuthenticationFailed) as unknown:
        sign_in(app_ctx, "nobody")
    with pytest.raises(AuthenticationFailed) as wrong:
        sign_in(app_ctx, "li.lei", "Wrong-Password-1")
    assert unknown.value.code == wrong.value.code == "auth.invalid_credentials"
    assert unknown.value.message == wrong.value.message
    assert [(e.username, e.success, e.reason) for e in login_log(app_ctx)] == [
        ("nobody", False, "unknown_user"), ("li.lei", False, "wrong_password"),
    ]


def test_a_disabled_user_cannot_sign_in_and_the_log_says_why(app_ctx, make_user, admin_actor):
    user = make_user("li.lei")
    with app_ctx.uow() as uow:
        service.disable_user(uow, admin_actor, user.id)
        uow.commit()
    with pytest.raises(AuthenticationFailed) as refused:
        sign_in(app_ctx, "li.lei")
    assert refused.value.code == "auth.invalid_credentials"
    assert login_log(app_ctx)[-1].reason == "disabled"


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(app_ctx, make_user, clock):
    make_user("li.lei")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            sign_in(app_ctx, "li.lei", "Wrong-Password-1")
    with pytest.raises(AccountLocked) as locked:
        sign_in(app_ctx, "li.lei", "Wrong-Password-1")
    assert locked.value.code == "auth.account_locked"
    assert "locked until" in locked.value.message.en
    with pytest.raises(AccountLocked):
        sign_in(app_ctx, "li.lei")  # even the right password waits
    clock.advance(minutes=14)
    with pytest.raises(AccountLocked):
        sign_in(app_ctx, "li.lei")
    clock.advance(minutes=2)
    assert sign_in(app_ctx, "li.lei").token
    reasons = [e.reason for e in login_log(app_ctx)]
    assert reasons == ["wrong_password"] * 4 + ["wrong_password_locked", "locked", "locked", "ok"]


def test_a_successful_sign_in_resets_the_failure_count(app_ctx, make_user):
    make_user("li.lei")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            sign_in(app_ctx, "li.lei", "Wrong-Password-1")
    sign_in(app_ctx, "li.lei")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            sign_in(app_ctx, "li.lei", "Wrong-Password-1")
    assert sign_in(app_ctx, "li.lei").token


def test_an_administrator_can_unlock_a_locked_account(app_ctx, make_user, admin_actor):
    user = make_user("li.lei")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            sign_in(app_ctx, "li.lei", "Wrong-Password-1")
    with pytest.raises(AccountLocked):
        sign_in(app_ctx, "li.lei", "Wrong-Password-1")
    with app_ctx.uow() as uow:
        service.unlock_user(uow, admin_actor, user.id)
        uow.commit()
    assert sign_in(app_ctx, "li.lei").token


def enrol_totp(app, username):
    token = sign_in(app, username).token
    actor = actor_of(app, token)
    with app.uow() as uow:
        enrolment = service.begin_totp_enrolment(uow, actor)
        uow.commit()
    assert enrolment.provisioning_uri.startswith("otpauth://totp/")
    with app.uow() as uow:
        service.confirm_totp(uow, actor, totp.current_code(enrolment.secret))
        uow.commit()
    return enrolment.secret


def test_a_user_with_totp_needs_the_current_code(app_ctx, make_user):
    make_user("li.lei")
    secret = enrol_totp(app_ctx, "li.lei")
    with app_ctx.uow() as uow:
        stored = uow.session.execute(select(User).where(User.username == "li.lei")).scalar_one()
        assert stored.totp_enabled and secret not in (stored.totp_secret or "")
    with pytest.raises(AuthenticationFailed) as missing:
        sign_in(app_ctx, "li.lei")
    assert missing.value.code == "auth.totp_required"
    with pytest.raises(AuthenticationFailed) as wrong:
        sign_in(app_ctx, "li.lei", code="000000" if totp.current_code(secret) != "000000" else "111111")
    assert wrong.value.code == "auth.totp_invalid"
    assert sign_in(app_ctx, "li.lei", code=totp.current_code(secret)).token


def test_a_wrong_confirmation_code_does_not_enable_totp(app_ctx, make_user):
    make_user("li.lei")
    actor = actor_of(app_ctx, sign_in(app_ctx, "li.lei").token)
    with app_ctx.uow() as uow:
        enrolment = service.begin_totp_enrolment(uow, actor)
        uow.commit()
    wrong = "123456" if totp.current_code(enrolment.secret) != "123456" else "654321"
    with app_ctx.uow() as uow, pytest.raises(Exception) as refused:
        service.confirm_totp(uow, actor, wrong)
    assert refused.value.code == "org.totp.code_invalid"
    assert sign_in(app_ctx, "li.lei").token  # still no second factor asked


def test_a_role_that_requires_totp_blocks_work_until_the_user_enrols(app_ctx, make_user, admin_actor):
    from autofin.org.schemas import RoleCreate

    with app_ctx.uow() as uow:
        service.create_role(uow, admin_actor, RoleCreate(
            code="treasury", name_zh="资金", name_en="Treasury", data_scope="all",
            permissions=[perm.USER_VIEW], requires_totp=True,
        ))
        uow.commit()
    make_user("li.lei", role_codes=["treasury"])
    actor = actor_of(app_ctx, sign_in(app_ctx, "li.lei").token)
    with pytest.raises(PermissionDenied) as blocked:
        actor.require(perm.USER_VIEW)
    assert blocked.value.code == "auth.totp_enrolment_required"
    enrol_totp_secret = None
    with app_ctx.uow() as uow:
        enrolment = service.begin_totp_enrolment(uow, actor)
        uow.commit()
        enrol_totp_secret = enrolment.secret
    with app_ctx.uow() as uow:
        service.confirm_totp(uow, actor, totp.current_code(enrol_totp_secret))
        uow.commit()
    token = sign_in(app_ctx, "li.lei", code=totp.current_code(enrol_totp_secret)).token
    actor_of(app_ctx, token).require(perm.USER_VIEW)


def test_an_idle_session_ends_after_thirty_minutes(app_ctx, make_user, clock):
    make_user("li.lei")
    token = sign_in(app_ctx, "li.lei").token
    clock.advance(minutes=29)
    actor_of(app_ctx, token)  # still alive, and touched
    clock.advance(minutes=29)
    actor_of(app_ctx, token)
    clock.advance(minutes=31)
    with pytest.raises(AuthenticationFailed) as ended:
        actor_of(app_ctx, token)
    assert ended.value.code == "auth.session_invalid"


def test_a_busy_session_still_ends_after_twelve_hours(app_ctx, make_user, clock):
    make_user("li.lei")
    token = sign_in(app_ctx, "li.lei").token
    for _ in range(35):  # 35 × 20 minutes = 11h40
        clock.advance(minutes=20)
        actor_of(app_ctx, token)
    clock.advance(minutes=21)
    with pytest.raises(AuthenticationFailed):
        actor_of(app_ctx, token)


def test_last_seen_is_written_at_most_once_a_minute(app_ctx, make_user, clock):
    make_user("li.lei")
    token = sign_in(app_ctx, "li.lei").token
    started = clock.now
    clock.advance(seconds=30)
    actor_of(app_ctx, token)
    assert last_seen(app_ctx) == started
    clock.advance(seconds=40)
    actor_of(app_ctx, token)
    assert last_seen(app_ctx) == clock.now


def test_unknown_and_absurd_tokens_are_refused(app_ctx):
    for token in ["nope", "x" * 500, ""]:
        with pytest.raises(AuthenticationFailed) as refused:
            actor_of(app_ctx, token)
        assert refused.value.code == "auth.session_invalid"


def test_logout_ends_the_session_at_once(app_ctx, make_user):
    make_user("li.lei")
    token = sign_in(app_ctx, "li.lei").token
    actor = actor_of(app_ctx, token)
    with app_ctx.uow() as uow:
        service.logout(uow, actor)
        uow.commit()
    with pytest.raises(AuthenticationFailed):
        actor_of(app_ctx, token)


def test_an_administrator_forces_a_sign_out(app_ctx, make_user, admin_actor):
    make_user("li.lei")
    token = sign_in(app_ctx, "li.lei").token
    with app_ctx.uow() as uow:
        sessions, count = service.list_sessions(uow, admin_actor)
    assert count == 1 and sessions[0].username == "li.lei" and sessions[0].ip == "10.0.0.8"
    with app_ctx.uow() as uow:
        service.revoke_session(uow, admin_actor, sessions[0].id)
        uow.commit()
    with pytest.raises(AuthenticationFailed):
        actor_of(app_ctx, token)
    with app_ctx.uow() as uow:
        assert service.list_sessions(uow, admin_actor)[1] == 0
        stored = uow.session.get(UserSession, sessions[0].id)
        assert stored.revoked_by == admin_actor.user_id


def test_disabling_a_user_ends_every_session_of_it(app_ctx, make_user, admin_actor):
    user = make_user("li.lei")
    tokens = [sign_in(app_ctx, "li.lei").token for _ in range(2)]
    with app_ctx.uow() as uow:
        service.disable_user(uow, admin_actor, user.id)
        uow.commit()
    for token in tokens:
        with pytest.raises(AuthenticationFailed):
            actor_of(app_ctx, token)


def test_a_forced_password_change_blocks_everything_but_the_change(app_ctx, make_user):
    make_user("li.lei", role_codes=["finance"], must_change_password=True)
    result = sign_in(app_ctx, "li.lei")
    assert result.must_change_password
    actor = actor_of(app_ctx, result.token)
    with pytest.raises(PermissionDenied) as blocked:
        actor.require("audit.event.view")
    assert blocked.value.code == "auth.password_change_required"
    with app_ctx.uow() as uow:
        assert service.describe_me(uow, actor).must_change_password
        service.change_own_password(uow, actor, DEFAULT_PASSWORD, "Brand-New-Secret-7")
        uow.commit()
    actor = actor_of(app_ctx, result.token)  # the session that changed the password stays signed in
    assert not isinstance(actor, service.RestrictedActor)
    actor.require("audit.event.view")


def test_changing_the_own_password_needs_the_current_one_and_signs_out_other_sessions(app_ctx, make_user):
    make_user("li.lei")
    first, second = sign_in(app_ctx, "li.lei").token, sign_in(app_ctx, "li.lei").token
    actor = actor_of(app_ctx, first)
    with app_ctx.uow() as uow, pytest.raises(Exception) as wrong:
        service.change_own_password(uow, actor, "Not-The-Password-1", "Brand-New-Secret-7")
    assert wrong.value.code == "org.password.current_wrong"
    with app_ctx.uow() as uow, pytest.raises(Exception) as weak:
        service.change_own_password(uow, actor, DEFAULT_PASSWORD, "short")
    assert weak.value.code == "org.password.weak"
    assert weak.value.errors[0].field == "new_password"
    with app_ctx.uow() as uow:
        service.change_own_password(uow, actor, DEFAULT_PASSWORD, "Brand-New-Secret-7")
        uow.commit()
    actor_of(app_ctx, first)
    with pytest.raises(AuthenticationFailed):
        actor_of(app_ctx, second)
    with pytest.raises(AuthenticationFailed):
        sign_in(app_ctx, "li.lei")
    assert sign_in(app_ctx, "li.lei", "Brand-New-Secret-7").token


def test_users_created_when_the_settings_force_it_must_change_their_password(app_ctx, admin_actor, monkeypatch):
    from autofin.org.schemas import UserCreate

    monkeypatch.setattr(app_ctx.settings, "force_password_change", True)
    with app_ctx.uow() as uow:
        user = service.create_user(uow, admin_actor, UserCreate(
            username="li.lei", display_name="李雷", password=DEFAULT_PASSWORD, department_id=1,
        ))
        uow.commit()
    assert user.must_change_password
    assert sign_in(app_ctx, "li.lei").must_change_password


def test_the_api_checks_a_session_in_a_read_only_unit_and_touches_it_apart(app_ctx, make_user, clock):
    """The API's check writes nothing; the last-seen time still moves once a minute, and only then."""
    from starlette.testclient import TestClient

    from autofin.api.app import create_app

    make_user("li.lei")
    token = sign_in(app_ctx, "li.lei").token
    started = clock.now
    web = create_app(autofin=app_ctx, with_console=False, with_scheduler=False, settle=False)
    with TestClient(web) as client:
        me = lambda: client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})  # noqa: E731
        clock.advance(seconds=30)
        assert me().status_code == 200
        assert last_seen(app_ctx) == started
        clock.advance(seconds=40)
        assert me().status_code == 200
        assert last_seen(app_ctx) == clock.now
        clock.advance(minutes=31)  # idle longer than the 30 minutes allowed: the read-only check still refuses
        refused = me()
        assert refused.status_code == 401 and refused.json()["code"] == "auth.session_invalid"

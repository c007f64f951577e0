"""The command line: users are created and reset with passwords from stdin; ``audit verify`` finds tampering."""

import contextlib

import pytest
from sqlalchemy import text
from tests.fixtures.org import DEFAULT_PASSWORD
from typer.testing import CliRunner

from autofin.org import service


@pytest.fixture()
def cli(app_ctx, monkeypatch):
    from autofin.cli import app

    settings = app_ctx.settings
    monkeypatch.setenv("AUTOFIN_ENV", "test")
    monkeypatch.setenv("AUTOFIN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AUTOFIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("AUTOFIN_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("AUTOFIN_FORCE_PASSWORD_CHANGE", "false")
    runner = CliRunner()
    return lambda *args, stdin=None: runner.invoke(app, list(args), input=stdin)


def sign_in(app, username, password):
    with app.uow() as uow:
        result = service.login(uow, username, password, ip=None, user_agent=None)
        uow.commit()
        return result


def test_a_user_is_created_from_the_command_line_with_the_password_on_stdin(cli, app_ctx):
    result = cli("user", "create", "ops", "--role", "admin", "--department", "HQ", "--password-stdin",
                 stdin=DEFAULT_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "created user ops" in result.output
    assert sign_in(app_ctx, "ops", DEFAULT_PASSWORD).user.role_codes == ["admin"]


def test_a_weak_password_on_the_command_line_is_refused(cli):
    result = cli("user", "create", "ops", "--password-stdin", stdin="ops\n")
    assert result.exit_code == 1
    assert "org.password.weak" in result.output


def test_reset_password_and_unlock_from_the_command_line(cli, app_ctx, make_user):
    make_user("li.lei")
    for _ in range(5):
        with app_ctx.uow() as uow:
            with contextlib.suppress(Exception):  # the lockout counter is what this builds up
                service.login(uow, "li.lei", "Wrong-Password-1", ip=None, user_agent=None)
            uow.commit()
    assert cli("user", "unlock", "li.lei").exit_code == 0
    assert sign_in(app_ctx, "li.lei", DEFAULT_PASSWORD).token
    result = cli("user", "reset-password", "li.lei", "--password-stdin", stdin="Brand-New-Secret-7\n")
    assert result.exit_code == 0, result.output
    assert sign_in(app_ctx, "li.lei", "Brand-New-Secret-7").token
    assert cli("user", "unlock", "nobody").exit_code == 1


def test_audit_verify_passes_an_intact_chain_and_names_an_altered_row(cli, app_ctx, make_user):
    make_user("li.lei")
    make_user("han.meimei")
    intact = cli("audit", "verify")
    assert intact.exit_code == 0, intact.output
    assert "2 rows checked" in intact.output
    with app_ctx.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET actor_name = 'mallory' WHERE sequence = 2"))
    broken = cli("audit", "verify")
    assert broken.exit_code == 1
    assert "row 2" in broken.output and "altered" in broken.output

"""The operator's path of `make run`, through the real `autofin` command: migrate, load demo data twice, check."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from autofin.cli import app as cli
from autofin.kernel.actor import SYSTEM

runner = CliRunner()


@pytest.fixture()
def operator_env(app_ctx, test_settings, monkeypatch):
    monkeypatch.setenv("AUTOFIN_DATABASE_URL", test_settings.database_url)
    monkeypatch.setenv("AUTOFIN_DATA_DIR", str(test_settings.data_dir))
    monkeypatch.setenv("AUTOFIN_SECRET_KEY", test_settings.secret_key)
    monkeypatch.setenv("AUTOFIN_ENV", "dev")
    monkeypatch.setenv("AUTOFIN_DEMO_PASSWORD", "Demo-Password-2026")
    return app_ctx


def test_upgrade_then_demo_twice_prints_the_sign_ins_and_adds_nothing_the_second_time(operator_env):
    upgraded = runner.invoke(cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    first = runner.invoke(cli, ["demo"])
    assert first.exit_code == 0, first.output
    for username in ("admin", "reviewer1", "reviewer2", "finance1", "collector1", "dealer1"):
        assert username in first.output
    with operator_env.uow() as uow:
        from autofin.org import service as org

        users_after_first = org.list_users(uow, SYSTEM, page=1, size=200)[1]
    second = runner.invoke(cli, ["demo"])
    assert second.exit_code == 0, second.output
    with operator_env.uow() as uow:
        assert org.list_users(uow, SYSTEM, page=1, size=200)[1] == users_after_first
    verified = runner.invoke(cli, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_the_demo_admin_can_sign_in_with_the_configured_password(operator_env):
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    with operator_env.uow() as uow:
        from autofin.org import service as org

        result = org.login(uow, "admin", "Demo-Password-2026", ip="127.0.0.1", user_agent="cli-test")
        uow.commit()
        assert result.token


def test_every_command_level_has_help_and_version_prints(operator_env):
    for args in (["--help"], ["db", "--help"], ["user", "--help"], ["audit", "--help"], ["jobs", "--help"],
                 ["calc", "--help"], ["serve", "--help"]):
        shown = runner.invoke(cli, args)
        assert shown.exit_code == 0 and "Usage" in shown.output, args
    assert runner.invoke(cli, ["version"]).output.strip() == "0.1.0"
    listed = runner.invoke(cli, ["jobs", "list"])
    assert listed.exit_code == 0 and "platform.purge_idempotency_keys" in listed.output

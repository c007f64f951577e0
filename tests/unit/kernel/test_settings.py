import base64

import pytest
from pydantic import ValidationError

from autofin.settings import DEV_DEMO_PASSWORD, Settings


def test_development_defaults_to_sqlite_under_the_data_dir_and_generates_secrets_once(tmp_path):
    settings = Settings(env="dev", data_dir=tmp_path, _env_file=None)
    assert settings.database_url == f"sqlite:///{tmp_path / 'autofin.db'}"
    secret = settings.secret
    assert len(secret) >= 32
    assert Settings(env="dev", data_dir=tmp_path, _env_file=None).secret == secret
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert len(settings.encryption_key) == 32
    assert settings.demo_password_or_default() == DEV_DEMO_PASSWORD


def test_production_refuses_a_missing_or_weak_secret(tmp_path):
    with pytest.raises(ValidationError, match="AUTOFIN_SECRET_KEY"):
        Settings(env="prod", data_dir=tmp_path, _env_file=None)
    with pytest.raises(ValidationError, match="AUTOFIN_SECRET_KEY"):
        Settings(env="prod", data_dir=tmp_path, secret_key="a" * 40, _env_file=None)


def test_production_needs_an_encryption_key_and_an_explicit_demo_password(tmp_path):
    strong = "k3J9-xQ2mP7vL0sT8wR4yU6iO1aZ5cB_nD"
    with pytest.raises(ValidationError, match="FIELD_ENCRYPTION_KEY"):
        Settings(env="prod", data_dir=tmp_path, secret_key=strong, _env_file=None)
    key = base64.b64encode(bytes(range(32))).decode()
    with pytest.raises(ValidationError, match="LOOKUP_HASH_KEY"):
        Settings(env="prod", data_dir=tmp_path, secret_key=strong, field_encryption_key=key, _env_file=None)
    settings = Settings(env="prod", data_dir=tmp_path, secret_key=strong, field_encryption_key=key,
                        lookup_hash_key=base64.b64encode(bytes(32)).decode(), _env_file=None)
    assert settings.encryption_key == bytes(range(32))
    assert settings.password_change_forced
    with pytest.raises(ValueError, match="AUTOFIN_DEMO_PASSWORD"):
        settings.demo_password_or_default()

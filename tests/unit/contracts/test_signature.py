from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from autofin.origination.contracts import cli
from autofin.origination.contracts.document import ContractData, render_contract_pdf
from autofin.origination.contracts.signing import (
    DEV_CA_FILE,
    ensure_dev_certificate,
    load_signer,
    sign_pdf,
    trust_roots,
    verify_signed_pdf,
)
from autofin.settings import Settings


@pytest.fixture(scope="module")
def dev_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(env="test", data_dir=tmp_path_factory.mktemp("signing-data"), secret_key="k" * 40)


@pytest.fixture(scope="module")
def signed(dev_settings: Settings) -> bytes:
    from .conftest import sample_contract

    pdf = render_contract_pdf(sample_contract())
    return bytes(sign_pdf(pdf, load_signer(dev_settings), reason="测试", location="上海"))


def test_a_signed_contract_is_intact_and_names_the_institution_as_signer(signed: bytes, dev_settings: Settings) -> None:
    report = verify_signed_pdf(signed, trust_roots(dev_settings))
    assert report.intact
    assert report.trusted
    assert report.signer == "autofin development signing (autofin development)"
    assert report.signed_at is not None
    assert report.signatures == 1
    assert report.reasons == ()


def test_without_the_development_ca_the_signature_is_intact_but_not_trusted(signed: bytes) -> None:
    report = verify_signed_pdf(signed)
    assert report.intact
    assert not report.trusted
    assert any("not trusted" in reason for reason in report.reasons)


@pytest.mark.parametrize("where", [0.02, 0.25, 0.5, 0.75, 0.97, 0.999])
def test_altering_one_byte_of_a_signed_contract_makes_it_fail(
    signed: bytes, dev_settings: Settings, where: float
) -> None:
    damaged = bytearray(signed)
    position = int(len(signed) * where)
    damaged[position] ^= 0x01
    report = verify_signed_pdf(bytes(damaged), trust_roots(dev_settings))
    assert not report.intact
    assert report.reasons


def test_an_unsigned_pdf_is_reported_as_not_signed(contract: ContractData) -> None:
    report = verify_signed_pdf(render_contract_pdf(contract))
    assert not report.intact
    assert report.reasons == ("the PDF is not signed (no signature found)",)


def test_something_that_is_not_a_pdf_is_reported_unreadable() -> None:
    report = verify_signed_pdf(b"hello, not a pdf")
    assert not report.intact
    assert "not a readable PDF" in report.reasons[0]


def test_the_development_certificate_is_generated_once(tmp_path: Path) -> None:
    ensure_dev_certificate(tmp_path / "signing")
    first = (tmp_path / "signing" / DEV_CA_FILE).read_bytes()
    ensure_dev_certificate(tmp_path / "signing")
    assert (tmp_path / "signing" / DEV_CA_FILE).read_bytes() == first
    assert oct((tmp_path / "signing" / "signer-key.pem").stat().st_mode & 0o777) == "0o600"


def test_production_refuses_to_sign_without_a_configured_pkcs12(tmp_path: Path) -> None:
    from autofin.kernel.errors import RuleViolation
    from autofin.origination.contracts.config import SigningSettings

    prod = Settings(env="prod", data_dir=tmp_path, secret_key="p-" + "abcdefghijklmnopqrstuvwxyz0123456789",
                    field_encryption_key="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                    lookup_hash_key="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    with pytest.raises(RuleViolation) as caught:
        load_signer(prod, SigningSettings(p12=None))
    assert caught.value.code == "origination.contract.signing_not_configured"


def test_a_pkcs12_file_signs_in_production(tmp_path: Path, contract: ContractData) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509 import load_pem_x509_certificate
    from pydantic import SecretStr

    from autofin.origination.contracts.config import SigningSettings

    directory = ensure_dev_certificate(tmp_path / "made")
    key = serialization.load_pem_private_key((directory / "signer-key.pem").read_bytes(), None)
    cert = load_pem_x509_certificate((directory / "signer.pem").read_bytes())
    ca = load_pem_x509_certificate((directory / DEV_CA_FILE).read_bytes())
    p12 = tmp_path / "institution.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"institution", key, cert, [ca], serialization.BestAvailableEncryption(b"s3cret-pass")  # type: ignore[arg-type]
    ))
    prod = Settings(env="prod", data_dir=tmp_path, secret_key="p-" + "abcdefghijklmnopqrstuvwxyz0123456789",
                    field_encryption_key="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                    lookup_hash_key="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    signer = load_signer(prod, SigningSettings(p12=p12, p12_password=SecretStr("s3cret-pass")))
    report = verify_signed_pdf(sign_pdf(render_contract_pdf(contract), signer))
    assert report.intact
    assert report.signer.startswith("autofin development signing")


def test_the_verify_command_says_who_signed_and_exits_0(
    signed: bytes, dev_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOFIN_DATA_DIR", str(dev_settings.data_dir))
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    result = CliRunner().invoke(cli.app, ["verify", str(path)])
    assert result.exit_code == 0, result.output
    assert "intact: signed by autofin development signing" in result.stdout
    assert "trusted: yes" in result.stdout


def test_the_verify_command_exits_1_and_says_why_for_an_altered_file(signed: bytes, tmp_path: Path) -> None:
    damaged = bytearray(signed)
    damaged[len(signed) // 2] ^= 0x01
    path = tmp_path / "altered.pdf"
    path.write_bytes(bytes(damaged))
    result = CliRunner().invoke(cli.app, ["verify", str(path)])
    assert result.exit_code == 1
    assert "NOT intact" in result.stderr
    assert "altered" in result.stderr


def test_the_verify_command_exits_1_for_an_unsigned_pdf(contract: ContractData, tmp_path: Path) -> None:
    path = tmp_path / "unsigned.pdf"
    path.write_bytes(render_contract_pdf(contract))
    result = CliRunner().invoke(cli.app, ["verify", str(path)])
    assert result.exit_code == 1
    assert "not signed" in result.stderr

"""The institution's PAdES signature on contract PDFs (pyHanko), and checking one.

In development and tests a self-signed CA and a signing certificate (EC P-256) are generated with
``cryptography`` into ``settings.data_dir / "signing"`` on first use. In production the PKCS#12 file of
``AUTOFIN_SIGNING_P12`` (passphrase ``AUTOFIN_SIGNING_P12_PASSWORD``) is required.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from autofin.kernel.errors import RuleViolation, Text
from autofin.origination.contracts.config import SigningSettings
from autofin.settings import Settings

SIGNATURE_FIELD = "InstitutionSignature"
DEV_CA_FILE = "ca.pem"
DEV_CERT_FILE = "signer.pem"
DEV_KEY_FILE = "signer-key.pem"


@dataclass(frozen=True)
class VerificationReport:
    """What a signed PDF says about itself: intact (unaltered since signing), who signed, when, and why not."""

    intact: bool
    signer: str
    signed_at: datetime | None
    reasons: tuple[str, ...] = ()
    trusted: bool = False
    signatures: int = 0
    details: dict[str, Any] = field(default_factory=dict)


def dev_signing_dir(settings: Settings) -> Path:
    return settings.data_dir / "signing"


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "autofin development"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def ensure_dev_certificate(directory: Path) -> Path:
    """Create the development CA and signing certificate in ``directory`` once; return the directory."""
    if (directory / DEV_KEY_FILE).exists():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("autofin development CA (not for production)")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("autofin development signing"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    staging = Path(tempfile.mkdtemp(prefix=".signing-", dir=directory.parent))
    (staging / DEV_CA_FILE).write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (staging / DEV_CERT_FILE).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path = staging / DEV_KEY_FILE
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    try:
        staging.rename(directory)  # atomic: a concurrent first use keeps whichever pair landed first
    except OSError:
        for child in staging.iterdir():
            child.unlink()
        staging.rmdir()
    return directory


def load_signer(settings: Settings, signing: SigningSettings | None = None) -> signers.SimpleSigner:
    """The institution's signer: the configured PKCS#12, or (outside prod) the development certificate."""
    signing = signing or SigningSettings()
    if signing.p12 is not None:
        password = signing.p12_password.get_secret_value().encode() if signing.p12_password else None
        signer: signers.SimpleSigner | None = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]
            str(signing.p12), passphrase=password
        )
        if signer is None:
            raise _not_configured(f"the PKCS#12 file {signing.p12} could not be opened (path or passphrase wrong)")
        return signer
    if settings.env == "prod":
        raise _not_configured("set AUTOFIN_SIGNING_P12 and AUTOFIN_SIGNING_P12_PASSWORD in production")
    directory = ensure_dev_certificate(dev_signing_dir(settings))
    dev_signer: signers.SimpleSigner | None = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
        str(directory / DEV_KEY_FILE), str(directory / DEV_CERT_FILE), ca_chain_files=(str(directory / DEV_CA_FILE),)
    )
    if dev_signer is None:
        raise _not_configured(f"the development signing key in {directory} could not be read")
    return dev_signer


def _not_configured(detail: str) -> RuleViolation:
    return RuleViolation(
        "origination.contract.signing_not_configured",
        Text(f"The institution's signing certificate is not usable: {detail}.",
             f"机构签章证书不可用：{detail}。"),
    )


def sign_pdf(pdf: bytes, signer: signers.SimpleSigner, *, reason: str = "", location: str = "") -> bytes:
    """``pdf`` with the institution's PAdES (B-B) signature appended as an incremental update."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason or None,
        location=location or None,
    )
    output = signers.sign_pdf(writer, metadata, signer=signer)
    signed: bytes = output.getvalue()
    return signed


def trust_roots(
    settings: Settings | None = None, signing: SigningSettings | None = None
) -> list[asn1_x509.Certificate]:
    """The certificates whose signatures count as trusted: configured roots and the development CA if present."""
    roots: list[asn1_x509.Certificate] = []
    signing = signing or SigningSettings()
    paths: list[Path] = []
    if signing.trust_roots is not None:
        paths.append(signing.trust_roots)
    if settings is not None and settings.env != "prod":
        paths.append(dev_signing_dir(settings) / DEV_CA_FILE)
    for path in paths:
        if path.exists():
            for cert in x509.load_pem_x509_certificates(path.read_bytes()):
                roots.append(asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)))
    return roots


def verify_signed_pdf(pdf: bytes, roots: list[asn1_x509.Certificate] | None = None) -> VerificationReport:
    """Check every signature of ``pdf``: intact only when each is cryptographically valid over unaltered bytes
    and the last one covers the whole file. ``roots`` decides ``trusted`` (it never changes ``intact``)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:  # a damaged file is a verdict, not a crash
        return VerificationReport(False, "", None, (f"not a readable PDF: {type(exc).__name__}: {exc}",))
    if not embedded:
        return VerificationReport(False, "", None, ("the PDF is not signed (no signature found)",))
    reasons: list[str] = []
    intact, trusted = True, True
    signer_name, signed_at = "", None
    context = ValidationContext(trust_roots=roots or [], allow_fetching=False)
    for index, sig in enumerate(embedded):
        label = sig.field_name or f"signature {index + 1}"
        try:
            status = validate_pdf_signature(sig, signer_validation_context=context)
        except Exception as exc:
            intact = trusted = False
            reasons.append(f"{label}: cannot be validated: {type(exc).__name__}: {exc}")
            continue
        signer_name = signer_display_name(status.signing_cert)
        signed_at = status.signer_reported_dt
        if not status.intact:
            intact = False
            reasons.append(f"{label}: the signed bytes were altered after signing (digest mismatch)")
        elif not status.valid:
            intact = False
            reasons.append(f"{label}: the signature value does not match the signer's key")
        if not status.trusted:
            trusted = False
            reasons.append(f"{label}: signer certificate is not trusted here ({_trust_problem(status)})")
    last_coverage = embedded[-1].coverage if embedded else None
    if intact and last_coverage is not None and last_coverage.name != "ENTIRE_FILE":
        intact = False
        reasons.append("content was added after the last signature")
    return VerificationReport(
        intact=intact,
        signer=signer_name,
        signed_at=signed_at,
        reasons=tuple(reasons),
        trusted=intact and trusted,
        signatures=len(embedded),
    )


def signer_display_name(cert: asn1_x509.Certificate) -> str:
    """``common name (organisation)`` of a certificate's subject, for people."""
    subject = cert.subject.native
    common_name, organisation = subject.get("common_name", ""), subject.get("organization_name", "")
    if not common_name:
        return str(cert.subject.human_friendly)
    return f"{common_name} ({organisation})" if organisation else str(common_name)


def _trust_problem(status: PdfSignatureStatus) -> str:
    problem = getattr(status, "trust_problem_indic", None)
    return str(problem.name if problem is not None else "no trust anchor")

"""Signing-session use cases (面签): start → confirm identity → upload recording → borrower consent → institution
signature, or cancel. Each checks the permission, changes, audits, returns; the caller commits.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from autofin.audit import service as audit
from autofin.db.base import ensure_version
from autofin.db.uow import UnitOfWork
from autofin.documents import service as documents
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import invalid
from autofin.origination.contracts import errors, signing
from autofin.origination.contracts.config import SigningSettings
from autofin.origination.contracts.document import CONTRACT_NO, format_contract_number
from autofin.origination.contracts.events import ContractSigned, SigningCancelled
from autofin.origination.contracts.models import ContractNumberCounter, IdentityCheck, SigningSession, SigningState
from autofin.origination.contracts.permissions import SIGN_CONTRACTS, VIEW_CONTRACTS
from autofin.origination.contracts.verification import get_provider
from autofin.settings import Settings

ENTITY = "contract_signing_session"
MAX_RECORDING_BYTES = 2 * 1024**3


def _settings(uow: UnitOfWork) -> Settings:
    settings = uow.settings
    if not isinstance(settings, Settings):
        raise RuntimeError("the unit of work carries no settings (files_dir is needed)")
    return settings


def _snapshot(s: SigningSession) -> dict[str, Any]:
    return {
        "contract_no": s.contract_no,
        "application_id": s.application_id,
        "state": s.state,
        "identity_outcome": s.identity_outcome,
        "identity_checked_by": s.identity_checked_by,
        "recording_sha256": s.recording_sha256,
        "consent_at": s.consent_at,
        "consent_ip": s.consent_ip,
        "signed_sha256": s.signed_sha256,
    }


def _load(uow: UnitOfWork, session_id: int, *, lock: bool = False) -> SigningSession:
    stmt = select(SigningSession).where(SigningSession.id == session_id)
    if lock:
        stmt = stmt.with_for_update()
    found = uow.session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise errors.session_not_found(session_id)
    return found


def _require_state(s: SigningSession, needed: SigningState, step_en: str, step_zh: str) -> None:
    if s.state != needed.value:
        raise errors.wrong_state(step_en, step_zh, s.state, needed.value)


def next_contract_number(uow: UnitOfWork, actor: Actor, year: int | None = None) -> str:
    """The next contract number of the year (HT-2026-000123), gap-free within committed transactions."""
    actor.require(SIGN_CONTRACTS)
    year = year or utcnow().year
    counter = uow.session.execute(
        select(ContractNumberCounter).where(ContractNumberCounter.year == year).with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        counter = ContractNumberCounter(year=year, last=0)
        uow.session.add(counter)
        uow.flush()  # two first numbers of a year at once: the second insert fails with 409 and is retried
    counter.last += 1
    return format_contract_number(year, counter.last)


def start_signing_session(
    uow: UnitOfWork,
    actor: Actor,
    *,
    contract_no: str,
    contract_pdf: bytes,
    borrower_name: str,
    application_id: int | None = None,
) -> SigningSession:
    """Open the signing session of a contract; its PDF (from ``document.render_contract_pdf``) is stored by hash."""
    actor.require(SIGN_CONTRACTS)
    if not CONTRACT_NO.match(contract_no):
        raise invalid("contract_no", f"'{contract_no}' is not a contract number (HT-YYYY-NNNNNN).",
                      f"“{contract_no}”不是有效的合同编号（HT-年份-六位序号）。", "origination.contract.number_invalid")
    if not contract_pdf.startswith(b"%PDF-"):
        raise invalid("contract_pdf", "The contract must be a PDF document.", "合同文件必须是 PDF。",
                      "origination.contract.not_pdf")
    if not borrower_name.strip():
        raise invalid("borrower_name", "Name the borrower who signs.", "请填写签署的借款人姓名。",
                      "origination.signing.borrower_missing")
    existing = uow.session.execute(
        select(SigningSession).where(SigningSession.open_contract_no == contract_no)
    ).scalar_one_or_none()
    if existing is not None:
        raise errors.session_open(contract_no, existing.id)
    session = SigningSession(
        contract_no=contract_no,
        open_contract_no=contract_no,
        application_id=application_id,
        borrower_name=borrower_name.strip()[:100],
        state=SigningState.CREATED.value,
        contract_sha256=documents.store_blob(uow, contract_pdf),
    )
    uow.session.add(session)
    uow.flush()
    audit.record(uow, actor, "contract.signing.start", ENTITY, session.id, after=_snapshot(session))
    return session


def get_signing_session(uow: UnitOfWork, actor: Actor, session_id: int) -> SigningSession:
    actor.require(VIEW_CONTRACTS)
    return _load(uow, session_id)


def list_signing_sessions(
    uow: UnitOfWork, actor: Actor, *, contract_no: str | None = None, application_id: int | None = None
) -> list[SigningSession]:
    actor.require(VIEW_CONTRACTS)
    stmt = select(SigningSession).order_by(SigningSession.id)
    if contract_no is not None:
        stmt = stmt.where(SigningSession.contract_no == contract_no)
    if application_id is not None:
        stmt = stmt.where(SigningSession.application_id == application_id)
    return list(uow.session.execute(stmt).scalars())


def list_identity_checks(uow: UnitOfWork, actor: Actor, session_id: int) -> list[IdentityCheck]:
    actor.require(VIEW_CONTRACTS)
    stmt = select(IdentityCheck).where(IdentityCheck.session_id == session_id).order_by(IdentityCheck.id)
    return list(uow.session.execute(stmt).scalars())


def confirm_identity(
    uow: UnitOfWork,
    actor: Actor,
    session_id: int,
    *,
    evidence: Mapping[str, Any],
    provider: str = "officer_video",
    version: int | None = None,
) -> SigningSession:
    """Run an identity check; a pass moves the session to identity_confirmed, a failure is recorded and it stays."""
    actor.require(SIGN_CONTRACTS)
    s = _load(uow, session_id, lock=True)
    ensure_version(s, version, "面签会话")
    _require_state(s, SigningState.CREATED, "confirm the identity", "核验身份")
    before = _snapshot(s)
    outcome = get_provider(provider).verify(actor, s.borrower_name, evidence)
    result = "passed" if outcome.passed else "failed"
    uow.session.add(IdentityCheck(session_id=s.id, provider=outcome.provider, outcome=result,
                                  checked_by=outcome.checked_by, checked_at=outcome.checked_at, note=outcome.note))
    s.identity_provider = outcome.provider
    s.identity_outcome = result
    s.identity_checked_by = outcome.checked_by
    s.identity_checked_at = outcome.checked_at
    if outcome.passed:
        s.state = SigningState.IDENTITY_CONFIRMED.value
    uow.flush()
    audit.record(uow, actor, f"contract.signing.identity_{result}", ENTITY, s.id, before=before,
                 after=_snapshot(s) | {"provider": outcome.provider, "note": outcome.note})
    return s


def upload_recording(
    uow: UnitOfWork, actor: Actor, session_id: int, data: bytes, *, version: int | None = None
) -> SigningSession:
    """Keep the session's video recording (stored by SHA-256) before the borrower signs."""
    actor.require(SIGN_CONTRACTS)
    if not data:
        raise invalid("recording", "The recording is empty; upload the video of the signing session.",
                      "录像文件为空，请上传面签视频。", "origination.signing.recording_empty")
    if len(data) > MAX_RECORDING_BYTES:
        raise invalid("recording", "The recording is larger than 2 GiB; compress it and upload again.",
                      "录像文件超过 2 GiB，请压缩后重新上传。", "origination.signing.recording_too_large")
    s = _load(uow, session_id, lock=True)
    ensure_version(s, version, "面签会话")
    if s.state not in (SigningState.CREATED.value, SigningState.IDENTITY_CONFIRMED.value):
        raise errors.wrong_state("upload the recording", "上传录像", s.state, SigningState.IDENTITY_CONFIRMED.value)
    before = _snapshot(s)
    s.recording_sha256 = documents.store_blob(uow, data)
    s.recording_size = len(data)
    s.recording_uploaded_at = utcnow()
    uow.flush()
    audit.record(uow, actor, "contract.signing.recording", ENTITY, s.id, before=before,
                 after=_snapshot(s) | {"recording_size": len(data)})
    return s


def record_borrower_consent(
    uow: UnitOfWork,
    actor: Actor,
    session_id: int,
    *,
    ip: str,
    consented_at: datetime | None = None,
    version: int | None = None,
) -> SigningSession:
    """The borrower agreed and signed: keep the time and the IP address they signed from."""
    actor.require(SIGN_CONTRACTS)
    try:
        address = str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        raise invalid("ip", f"'{ip}' is not an IP address; give the borrower's IPv4 or IPv6 address.",
                      f"“{ip}”不是有效的 IP 地址，请填写借款人的 IPv4 或 IPv6 地址。",
                      "origination.signing.ip_invalid") from None
    s = _load(uow, session_id, lock=True)
    ensure_version(s, version, "面签会话")
    _require_state(s, SigningState.IDENTITY_CONFIRMED, "record the borrower's signature", "记录借款人签署")
    if s.recording_sha256 is None:
        raise invalid("recording", "Upload the session recording before the borrower signs.",
                      "借款人签署前须先上传面签录像。", "origination.signing.recording_missing")
    before = _snapshot(s)
    now = utcnow()
    s.consent_at = consented_at or now
    s.consent_ip = address
    s.borrower_signed_at = now
    s.state = SigningState.BORROWER_SIGNED.value
    uow.flush()
    audit.record(uow, actor, "contract.signing.borrower_signed", ENTITY, s.id, before=before, after=_snapshot(s))
    return s


def sign_as_institution(
    uow: UnitOfWork,
    actor: Actor,
    session_id: int,
    *,
    signing_settings: SigningSettings | None = None,
    version: int | None = None,
) -> SigningSession:
    """Put the institution's PAdES signature on the contract; the signed PDF is stored by hash."""
    actor.require(SIGN_CONTRACTS)
    s = _load(uow, session_id, lock=True)
    ensure_version(s, version, "面签会话")
    _require_state(s, SigningState.BORROWER_SIGNED, "sign for the institution", "机构签章")
    settings = _settings(uow)
    pdf = documents.read_blob(uow, s.contract_sha256)
    if pdf is None:
        raise errors.file_missing(s.contract_sha256)
    signing_settings = signing_settings or SigningSettings()
    signer = signing.load_signer(settings, signing_settings)
    signed = signing.sign_pdf(pdf, signer, reason=signing_settings.reason, location=signing_settings.location)
    before = _snapshot(s)
    s.signed_sha256 = documents.store_blob(uow, signed)
    s.signer = signing.signer_display_name(signer.signing_cert)[:300]
    s.institution_signed_at = utcnow()
    s.institution_signed_by = actor.user_id
    s.state = SigningState.INSTITUTION_SIGNED.value
    uow.flush()
    audit.record(uow, actor, "contract.signing.institution_signed", ENTITY, s.id, before=before,
                 after=_snapshot(s) | {"signer": s.signer})
    uow.emit(ContractSigned(s.id, s.contract_no, s.application_id, s.signed_sha256))
    return s


def cancel_signing_session(
    uow: UnitOfWork, actor: Actor, session_id: int, reason: str, *, version: int | None = None
) -> SigningSession:
    actor.require(SIGN_CONTRACTS)
    if not reason.strip():
        raise invalid("reason", "Say why the signing session is cancelled.", "请填写取消面签的原因。",
                      "origination.signing.reason_missing")
    s = _load(uow, session_id, lock=True)
    ensure_version(s, version, "面签会话")
    if s.state in (SigningState.INSTITUTION_SIGNED.value, SigningState.CANCELLED.value):
        raise errors.wrong_state("cancel", "取消", s.state, "created / identity_confirmed / borrower_signed")
    before = _snapshot(s)
    s.state = SigningState.CANCELLED.value
    s.open_contract_no = None
    s.cancelled_at = utcnow()
    s.cancel_reason = reason.strip()[:500]
    uow.flush()
    audit.record(uow, actor, "contract.signing.cancel", ENTITY, s.id, before=before,
                 after=_snapshot(s) | {"reason": s.cancel_reason})
    uow.emit(SigningCancelled(s.id, s.contract_no, s.application_id, s.cancel_reason))
    return s


def contract_pdf(uow: UnitOfWork, actor: Actor, session_id: int, *, signed: bool = True) -> bytes:
    """The stored PDF of a session: the institution-signed one (``signed``) or the unsigned original."""
    actor.require(VIEW_CONTRACTS)
    s = _load(uow, session_id)
    digest = s.signed_sha256 if signed else s.contract_sha256
    if digest is None:
        raise errors.wrong_state("download the signed contract", "下载已签章合同", s.state,
                                 SigningState.INSTITUTION_SIGNED.value)
    data = documents.read_blob(uow, digest)
    if data is None:
        raise errors.file_missing(digest)
    return data

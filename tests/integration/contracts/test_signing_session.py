from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from autofin.audit.models import AuditEvent
from autofin.bootstrap import App
from autofin.documents import service as documents
from autofin.kernel.actor import Actor
from autofin.kernel.errors import Conflict, PermissionDenied, RuleViolation, ValidationFailed
from autofin.kernel.events import subscribe
from autofin.origination.contracts import service
from autofin.origination.contracts.events import ContractSigned
from autofin.origination.contracts.models import SigningSession
from autofin.origination.contracts.signing import trust_roots, verify_signed_pdf

Start = Callable[..., SigningSession]
SIGNED: list[ContractSigned] = []
subscribe(ContractSigned, lambda uow, event: SIGNED.append(event))


def run(app: App, use_case: Callable[..., object], *args: object, **kwargs: object) -> object:
    with app.uow() as uow:
        result = use_case(uow, *args, **kwargs)
        uow.commit()
        return result


def walk_to_borrower_signed(app: App, officer: Actor, session_id: int) -> None:
    run(app, service.confirm_identity, officer, session_id, evidence={"video_matches_id_photo": True})
    run(app, service.upload_recording, officer, session_id, b"\x00\x00\x00 ftypmp42 video bytes")
    run(app, service.record_borrower_consent, officer, session_id, ip="203.0.113.7")


def test_a_contract_is_signed_by_borrower_and_institution_step_by_step(
    app_ctx: App, officer: Actor, start: Start
) -> None:
    SIGNED.clear()
    session = start()
    assert session.state == "created"
    confirmed = run(app_ctx, service.confirm_identity, officer, session.id,
                    evidence={"video_matches_id_photo": True, "note": "本人与证件照一致"})
    assert isinstance(confirmed, SigningSession)
    assert (confirmed.state, confirmed.identity_checked_by, confirmed.identity_outcome) == (
        "identity_confirmed", officer.user_id, "passed")
    recording = b"\x00\x00\x00 ftypmp42 the session video"
    uploaded = run(app_ctx, service.upload_recording, officer, session.id, recording)
    assert isinstance(uploaded, SigningSession)
    assert uploaded.recording_sha256 == hashlib.sha256(recording).hexdigest()
    with app_ctx.uow() as uow:
        assert documents.read_blob(uow, uploaded.recording_sha256) == recording, "kept in the documents file store"
    consent_time = datetime(2026, 11, 24, 3, 15, tzinfo=UTC)
    consented = run(app_ctx, service.record_borrower_consent, officer, session.id, ip="203.0.113.7",
                    consented_at=consent_time)
    assert isinstance(consented, SigningSession)
    assert (consented.state, consented.consent_ip, consented.consent_at) == (
        "borrower_signed", "203.0.113.7", consent_time)
    signed = run(app_ctx, service.sign_as_institution, officer, session.id)
    assert isinstance(signed, SigningSession)
    assert signed.state == "institution_signed"
    assert signed.signer == "autofin development signing (autofin development)"
    assert SIGNED and SIGNED[-1].contract_no == "HT-2026-000001" and SIGNED[-1].application_id == 77

    with app_ctx.uow() as uow:
        pdf = service.contract_pdf(uow, officer, session.id)
    assert hashlib.sha256(pdf).hexdigest() == signed.signed_sha256
    report = verify_signed_pdf(pdf, trust_roots(app_ctx.settings))
    assert report.intact and report.trusted

    with app_ctx.uow() as uow:
        actions = list(uow.session.execute(
            select(AuditEvent.action).where(AuditEvent.entity_type == "contract_signing_session",
                                            AuditEvent.entity_id == str(session.id)).order_by(AuditEvent.sequence)
        ).scalars())
    assert actions == [
        "contract.signing.start",
        "contract.signing.identity_passed",
        "contract.signing.recording",
        "contract.signing.borrower_signed",
        "contract.signing.institution_signed",
    ]


def test_a_failed_video_comparison_is_recorded_and_the_session_waits_for_another_check(
    app_ctx: App, officer: Actor, start: Start
) -> None:
    session = start()
    failed = run(app_ctx, service.confirm_identity, officer, session.id,
                 evidence={"video_matches_id_photo": False, "note": "光线不足"})
    assert isinstance(failed, SigningSession)
    assert (failed.state, failed.identity_outcome) == ("created", "failed")
    run(app_ctx, service.confirm_identity, officer, session.id, evidence={"video_matches_id_photo": True})
    with app_ctx.uow() as uow:
        checks = service.list_identity_checks(uow, officer, session.id)
        assert [(c.outcome, c.checked_by, c.provider) for c in checks] == [
            ("failed", officer.user_id, "officer_video"), ("passed", officer.user_id, "officer_video")]
        assert checks[0].note == "光线不足"


def test_the_officer_must_say_whether_video_and_id_photo_match(app_ctx: App, officer: Actor, start: Start) -> None:
    session = start()
    with pytest.raises(ValidationFailed) as caught:
        run(app_ctx, service.confirm_identity, officer, session.id, evidence={})
    assert caught.value.code == "origination.signing.evidence_missing"


def test_the_borrower_cannot_sign_before_the_recording_is_uploaded(app_ctx: App, officer: Actor, start: Start) -> None:
    session = start()
    run(app_ctx, service.confirm_identity, officer, session.id, evidence={"video_matches_id_photo": True})
    with pytest.raises(ValidationFailed) as caught:
        run(app_ctx, service.record_borrower_consent, officer, session.id, ip="203.0.113.7")
    assert caught.value.code == "origination.signing.recording_missing"


def test_the_borrower_cannot_sign_before_identity_is_confirmed(app_ctx: App, officer: Actor, start: Start) -> None:
    session = start()
    run(app_ctx, service.upload_recording, officer, session.id, b"video")
    with pytest.raises(RuleViolation) as caught:
        run(app_ctx, service.record_borrower_consent, officer, session.id, ip="203.0.113.7")
    assert caught.value.code == "origination.signing.wrong_state"


def test_the_institution_cannot_sign_before_the_borrower(app_ctx: App, officer: Actor, start: Start) -> None:
    session = start()
    with pytest.raises(RuleViolation) as caught:
        run(app_ctx, service.sign_as_institution, officer, session.id)
    assert caught.value.code == "origination.signing.wrong_state"


def test_a_consent_ip_must_be_an_ip_address(app_ctx: App, officer: Actor, start: Start) -> None:
    session = start()
    run(app_ctx, service.confirm_identity, officer, session.id, evidence={"video_matches_id_photo": True})
    run(app_ctx, service.upload_recording, officer, session.id, b"video")
    with pytest.raises(ValidationFailed) as caught:
        run(app_ctx, service.record_borrower_consent, officer, session.id, ip="not-an-ip")
    assert caught.value.code == "origination.signing.ip_invalid"
    consented = run(app_ctx, service.record_borrower_consent, officer, session.id, ip="2001:db8::1")
    assert isinstance(consented, SigningSession) and consented.consent_ip == "2001:db8::1"


def test_a_contract_has_one_open_signing_session_and_a_new_one_after_cancelling(
    app_ctx: App, officer: Actor, start: Start
) -> None:
    first = start()
    with pytest.raises(Conflict) as caught:
        start()
    assert caught.value.code == "origination.signing.session_open"
    cancelled = run(app_ctx, service.cancel_signing_session, officer, first.id, "借款人要求改期")
    assert isinstance(cancelled, SigningSession) and cancelled.state == "cancelled"
    second = start()
    assert second.id != first.id and second.state == "created"


def test_a_signed_contract_cannot_be_cancelled(app_ctx: App, officer: Actor, start: Start) -> None:
    session = start()
    walk_to_borrower_signed(app_ctx, officer, session.id)
    run(app_ctx, service.sign_as_institution, officer, session.id)
    with pytest.raises(RuleViolation):
        run(app_ctx, service.cancel_signing_session, officer, session.id, "too late")


def test_a_stale_version_is_refused(app_ctx: App, officer: Actor, start: Start) -> None:
    session = start()
    run(app_ctx, service.upload_recording, officer, session.id, b"video")
    with pytest.raises(Conflict) as caught:
        run(app_ctx, service.confirm_identity, officer, session.id, evidence={"video_matches_id_photo": True},
            version=session.version)
    assert caught.value.code == "db.stale_version"


def test_someone_without_the_sign_permission_can_look_but_not_sign(
    app_ctx: App, viewer: Actor, officer: Actor, start: Start
) -> None:
    session = start()
    with pytest.raises(PermissionDenied):
        run(app_ctx, service.confirm_identity, viewer, session.id, evidence={"video_matches_id_photo": True})
    with app_ctx.uow() as uow:
        assert service.get_signing_session(uow, viewer, session.id).state == "created"
        assert [s.id for s in service.list_signing_sessions(uow, viewer, application_id=77)] == [session.id]


def test_a_system_process_cannot_stand_in_for_the_officer(app_ctx: App, start: Start, system_actor: Actor) -> None:
    session = start()
    with pytest.raises(ValidationFailed) as caught:
        run(app_ctx, service.confirm_identity, system_actor, session.id, evidence={"video_matches_id_photo": True})
    assert caught.value.code == "origination.signing.officer_required"


def test_only_pdfs_start_a_session(app_ctx: App, officer: Actor) -> None:
    with pytest.raises(ValidationFailed) as caught:
        run(app_ctx, service.start_signing_session, officer, contract_no="HT-2026-000001",
            contract_pdf=b"<html>", borrower_name="李四")
    assert caught.value.code == "origination.contract.not_pdf"


def test_contract_numbers_count_up_within_a_year(app_ctx: App, officer: Actor) -> None:
    numbers = [run(app_ctx, service.next_contract_number, officer, 2026) for _ in range(3)]
    assert numbers == ["HT-2026-000001", "HT-2026-000002", "HT-2026-000003"]
    assert run(app_ctx, service.next_contract_number, officer, 2027) == "HT-2027-000001"


def test_a_missing_session_is_not_found(app_ctx: App, officer: Actor) -> None:
    from autofin.kernel.errors import NotFound

    with app_ctx.uow() as uow, pytest.raises(NotFound):
        service.get_signing_session(uow, officer, 999_999)

"""合同与面签 ``/origination/contracts`` · ``/origination/contract``: prepare the contract, confirm identity, upload
the recording, record consent, sign for the institution, download the PDF."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from autofin.console.i18n import t
from autofin.console.session import PageContext
from autofin.console.widgets import Column, DataTable, FormField, RowAction, fmt_time, form_dialog
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.origination import service
from autofin.origination.console import data
from autofin.origination.console.common import banner, fact, label, query_int, run, run_in_thread
from autofin.origination.contracts import service as contracts
from autofin.origination.contracts.permissions import SIGN_CONTRACTS
from autofin.origination.disbursing import contract_flow


# ================================================================================================ contracts
def contracts_page(ctx: PageContext) -> None:
    status = {"value": "approved"}

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = data.search_applications(uow, a, {"status": status["value"], "q": q}, page=page, size=size)
            found = [data.application_row(r) for r in rows]
            for row in found:
                row["status_label"] = label("status", row["status"])
            return found, total

        return ctx.read(query, ([], 0))

    def toolbar() -> None:
        ui.toggle({s: label("status", s) for s in ("approved", "contracted", "disbursed")}, value="approved",
                  on_change=lambda e: show(e.value)).props('dense no-caps data-testid="contract-status"')

    def show(value: str) -> None:
        status["value"] = value
        table.refresh()

    table: DataTable = DataTable(
        columns=[Column("number", "orig.number"), Column("status_label", "orig.status"),
                 Column("applicant_name", "orig.applicant"), Column("approved_amount", "orig.review.approved_amount",
                                                                    align="right"),
                 Column("product_code", "orig.product"), Column("vin", "orig.vin")],
        fetch=fetch, toolbar=toolbar,
        actions=[RowAction("open", "orig.page.contract",
                           lambda r: ui.navigate.to(f"/origination/contract?id={r['id']}"), icon="draw")],
    )
    table.table.props('data-testid="contract-table"')


def contract_page(ctx: PageContext) -> None:
    application_id = query_int("id")
    if application_id is None:
        ui.label(t("frame.not_found"))
        return
    can_sign = ctx.actor.can(SIGN_CONTRACTS)
    client_ip = ctx.ip or ""

    @ui.refreshable
    def body() -> None:
        def query(uow: UnitOfWork, a: Actor) -> dict[str, Any]:
            application = service.get_application(uow, a, application_id)
            return {"application": data.application_row(application), "raw": data.raw_figures(application),
                    "sessions": data.signing_sessions(uow, a, application_id)}

        found = ctx.read(query, None)
        if found is None:
            return
        row, raw, sessions = found["application"], found["raw"], found["sessions"]
        with ui.row().classes("w-full items-center gap-3"):
            ui.link(row["number"], f"/origination/application?id={application_id}").classes("text-h6")
            ui.badge(label("status", row["status"]), color="primary").props(
                f'data-testid="application-status" data-status="{row["status"]}"')
            ui.label(row["applicant_name"])
        with ui.row().classes("w-full gap-4"):
            fact("orig.review.approved_amount", data.money(raw["approved_amount"]))
            fact("orig.review.approved_rate", raw["approved_rate"])
            fact("orig.review.approved_term", raw["approved_term"])
            fact("orig.review.approved_method", label("method", raw["approved_method"]))
            fact("orig.detail.expires", fmt_time(raw["approval_expires_at"]))
        live = [s for s in sessions if s["state"] != "cancelled"]
        if not live and can_sign and row["status"] == "approved":
            ui.button(t("orig.contract.start"), icon="post_add", on_click=start).props(
                'unelevated color=primary data-testid="start-signing"')
        if not sessions:
            ui.label(t("orig.contract.none")).classes("text-grey-6")
        for s in reversed(sessions):
            session_card(s)

    def start() -> None:
        done, _ = run(ctx, lambda uow, a: contract_flow.prepare_contract(uow, a, application_id).contract_no)
        if done:
            ui.notify(t("orig.contract.started", number=done), type="positive")
            body.refresh()

    def step(use_case: Any, fields: dict[str, Any] | None = None, success: str | None = None) -> bool:
        _done, refusal = run(ctx, use_case, fields)
        if refusal is None:
            ui.notify(success or t("common.done"), type="positive")
        if refusal is None or refusal.status == 409:
            body.refresh()
        return refusal is None

    def session_card(s: dict[str, Any]) -> None:
        state = s["state"]
        with ui.card().classes("w-full").props(f'flat bordered data-testid="signing-session" data-state="{state}"'):
            with ui.row().classes("w-full items-center gap-3"):
                ui.label(s["contract_no"]).classes("text-subtitle1 text-weight-medium").props(
                    'data-testid="contract-no"')
                ui.badge(label("contract.state", state), color="positive" if state == "institution_signed"
                         else "primary").props(f'data-testid="signing-state" data-state="{state}"')
                ui.space()
                ui.button(t("orig.contract.download"), icon="picture_as_pdf",
                          on_click=lambda: download(s, signed=False)).props('flat dense data-testid="download-pdf"')
                if s["signed_sha256"]:
                    ui.button(t("orig.contract.download_signed"), icon="verified",
                              on_click=lambda: download(s, signed=True)).props(
                        'outline dense color=positive data-testid="download-signed"')
            with ui.row().classes("w-full gap-4"):
                fact("orig.contract.identity", s["identity_outcome"])
                fact("orig.contract.recording", s["recording_sha256"][:16] if s["recording_sha256"] else "",
                     "recording-sha")
                fact("orig.contract.consent_at", fmt_time(s["consent_at"]))
                fact("orig.contract.consent_ip", s["consent_ip"])
                fact("orig.contract.signer", s["signer"])
            if not can_sign or state in ("institution_signed", "cancelled"):
                if state == "institution_signed":
                    banner(t("orig.contract.signed"), "ok", "contract-signed")
                return
            version = s["version"]
            with ui.row().classes("w-full items-center gap-3"):
                if state == "created":
                    ui.button(t("orig.contract.identity"), icon="badge", on_click=lambda: identity(s)).props(
                        'unelevated color=primary data-testid="confirm-identity"')
                if state in ("created", "identity_confirmed"):
                    async def upload(event: Any) -> None:
                        content = await event.file.read()
                        step(lambda uow, a: contracts.upload_recording(uow, a, s["id"], content, version=version),
                             success=t("orig.contract.recording_done", sha="…"))

                    ui.upload(label=t("orig.contract.recording"), auto_upload=True, on_upload=upload).props(
                        'accept="video/*,.mp4,.webm,.mov" flat bordered dense data-testid="recording-upload"'
                    ).classes("w-64")
                if state == "identity_confirmed" and s["recording_sha256"]:  # the recording comes first
                    ip = ui.input(t("orig.contract.consent_ip"), value=client_ip).props(
                        'outlined dense data-field="ip"').classes("w-48")
                    ui.button(t("orig.contract.consent"), icon="how_to_reg", on_click=lambda: step(
                        lambda uow, a: contracts.record_borrower_consent(uow, a, s["id"], ip=ip.value or "",
                                                                         version=version),
                        {"ip": ip, "recording": ip})).props('unelevated color=primary data-testid="record-consent"')
                if state == "borrower_signed":
                    async def institution_sign() -> None:
                        _done, refusal = await run_in_thread(
                            ctx, lambda uow, a: contracts.sign_as_institution(uow, a, s["id"], version=version))
                        if refusal is None:
                            ui.notify(t("orig.contract.signed"), type="positive")
                        if refusal is None or refusal.status == 409:
                            body.refresh()

                    ui.button(t("orig.contract.sign"), icon="verified", on_click=institution_sign).props(
                        'unelevated color=positive data-testid="institution-sign"')
                ui.space()
                ui.button(t("orig.contract.cancel"), icon="cancel", on_click=lambda: cancel(s)).props(
                    'flat color=negative dense data-testid="cancel-signing"')

    def identity(s: dict[str, Any]) -> None:
        fields = [FormField("matches", "orig.contract.matches", kind="switch", value=True),
                  FormField("note", "orig.contract.note", kind="textarea", max_length=500)]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            return step(lambda uow, a: contracts.confirm_identity(
                uow, a, s["id"], evidence={"video_matches_id_photo": bool(values["matches"]),
                                           "note": values["note"] or ""}, version=s["version"]), inputs)

        form_dialog(t("orig.contract.identity"), fields, submit, intro=t("orig.contract.identity_intro"))

    def cancel(s: dict[str, Any]) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            return step(lambda uow, a: contracts.cancel_signing_session(uow, a, s["id"], values["reason"] or "",
                                                                        version=s["version"]), inputs)

        form_dialog(t("orig.contract.cancel"), [FormField("reason", "orig.contract.cancel_reason", kind="textarea",
                                                          required=True, max_length=500)], submit)

    def download(s: dict[str, Any], *, signed: bool) -> None:
        content = ctx.read(lambda uow, a: contracts.contract_pdf(uow, a, s["id"], signed=signed), None)
        if content:
            suffix = "-signed" if signed else ""
            ui.download(content, f"{s['contract_no']}{suffix}.pdf", "application/pdf")

    body()

"""Scheduled job of disbursement: hand approved payments the bank never received (a crash or an unreachable bank
right after approval) to the bank again. Sending again is always safe: the bank deduplicates on the instruction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autofin.origination.disbursing import service as disbursement
from autofin.platform.service import JobRunContext, declare_job

if TYPE_CHECKING:
    from autofin.bootstrap import App


def resend_disbursement_payments(app: App, run: JobRunContext) -> dict[str, Any]:
    return {"sent": disbursement.resend_unsent_payments(app)}


declare_job("origination.resend_disbursement_payments", resend_disbursement_payments, "*/5 * * * *",
            "重发未送达银行的放款指令", "Re-send disbursement payments the bank has not received")

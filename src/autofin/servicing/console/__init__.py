"""Console pages of servicing (贷后管理): loan search with CSV export, the loan page (balances, schedule,
transactions with their allocations, classification history, payoff quote, repayment entry, reversal), the
repayment desk with the 待确认 queue and second-person confirmation, the delinquency dashboard (逾期看板, echarts)
and the end-of-day batch (日终批处理: run with progress, status and history).

Pages read through ``servicing.service`` and the read-only views of ``servicing.dashboard``; every action is a
use case of ``servicing.service`` (which checks the permission and data scope again) in one short transaction.
The labels (Chinese and English) are added to the console's table at import (``LABELS``).

The pages live in the modules of this package, by page group; ``register_pages`` registers them all.
"""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import ui

from autofin.console.frame import console_page
from autofin.servicing import permissions as perm
from autofin.servicing.console.dashboard import dashboard_page
from autofin.servicing.console.eod import eod_page
from autofin.servicing.console.labels import LABELS
from autofin.servicing.console.loans import allocation_text, loan_page, loans_page
from autofin.servicing.console.operations import debits_page, refunds_page, statements_page
from autofin.servicing.console.repayments import repayments_page
from autofin.servicing.console.special import special_page

__all__ = ["GROUP", "LABELS", "allocation_text", "register_pages"]

GROUP = "servicing"


def register_pages() -> None:
    console_page("/servicing/loans", title_key="servicing.loans", permission=perm.LOAN_VIEW, group=GROUP,
                 order=10, icon="search")(loans_page)
    console_page("/servicing/loan", title_key="servicing.loan", permission=perm.LOAN_VIEW,
                 icon="request_quote")(loan_page)
    console_page("/servicing/repayments", title_key="servicing.repayments", permission=perm.REPAYMENT_RECORD,
                 group=GROUP, order=20, icon="payments")(repayments_page)
    console_page("/servicing/dashboard", title_key="servicing.dashboard", permission=perm.LOAN_VIEW, group=GROUP,
                 order=30, icon="leaderboard")(dashboard_page)
    console_page("/servicing/eod", title_key="servicing.eod", permission=perm.LOAN_VIEW, group=GROUP,
                 order=40, icon="event_repeat")(eod_page)
    console_page("/servicing/special", title_key="servicing.special", permission=perm.LOAN_VIEW, group=GROUP,
                 order=25, icon="rule")(special_page)
    console_page("/servicing/debits", title_key="servicing.debits", permission=perm.DEBIT_VIEW, group=GROUP,
                 order=50, icon="credit_score")(debits_page)
    console_page("/servicing/statements", title_key="servicing.statements", permission=perm.STATEMENT_IMPORT,
                 group=GROUP, order=60, icon="receipt")(statements_page)
    console_page("/servicing/refunds", title_key="servicing.refunds", permission=perm.REFUND_REVIEW,
                 group=GROUP, order=70, icon="currency_exchange")(refunds_page)

    @ui.page("/servicing/loans/{loan_id}")
    def _loan_link(loan_id: str) -> RedirectResponse:  # the link notifications carry
        return RedirectResponse(f"/servicing/loan?id={loan_id if loan_id.isdigit() else ''}", status_code=303)

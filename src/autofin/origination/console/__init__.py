"""Console pages of origination (业务中心 · 审核 · 合同面签 · 放款管理).

- 新建申请 ``/origination/new`` (``?id=`` edits a draft or a returned application): applicant / co-borrower /
  guarantors found by ID number, phone or name (or created on the spot), the vehicle by VIN, the product and the
  figures with a **live quote** (schedule and annualised rate, recomputed as the figures change), the documents
  the product requires; save the draft, submit and see every check's result (or why it was refused).
- 申请查询 ``/origination/applications``: filters (status, product, dealer/branch, dates, amount band), CSV/XLSX.
- 申请详情 / 审核 ``/origination/application`` · ``/origination/review``: all the evidence (masked customer,
  vehicle, appraisals, LTV, documents, checks, timeline, tasks, committee votes) and, for the reviewer holding the
  current stage, the decision form or the committee vote; a 409 shows "someone else acted" over the fresh view.
- 我的任务 ``/origination/tasks``: my queue and the pool with SLA timers (overdue in red), claim / release, and
  for supervisors every open task with reassignment. 贷审会 ``/origination/committee``: tasks awaiting my vote.
- 合同与面签 ``/origination/contracts`` · ``/origination/contract``: prepare the contract, confirm identity,
  upload the recording, record consent, sign for the institution, download the PDF.
- 放款管理 ``/origination/disbursements`` · ``/origination/disbursement``: checklist, down payment, registration,
  double review, then the payment to the bank and the loan it opens.
- 进度查询 ``/status`` (``borrower``): the borrower's status page, public (no sign-in, no menu): application number,
  ID number and phone → status, stage, a milestone timeline and what happens next; rate-limited per address.

The pages live in the modules of this package, by page group (``wizard``, ``applications``, ``review``,
``tasks``, ``signing``, ``disbursements``; shared helpers in ``common``); what they read is prepared in ``data``
and their labels are in ``labels``. ``register_pages`` registers them all, and the partners' page.
"""

from __future__ import annotations

from autofin.console import i18n
from autofin.console.frame import console_page
from autofin.origination.console.applications import list_page
from autofin.origination.console.disbursements import disbursement_page, disbursements_page
from autofin.origination.console.labels import LABELS
from autofin.origination.console.review import detail_page, review_page
from autofin.origination.console.signing import contract_page, contracts_page
from autofin.origination.console.tasks import committee_page, tasks_page
from autofin.origination.console.wizard import wizard_page
from autofin.origination.contracts.permissions import VIEW_CONTRACTS
from autofin.origination.permissions import (
    APPLICATION_CREATE,
    APPLICATION_VIEW,
    DISBURSEMENT_VIEW,
    GROUP,
    REVIEW_COMMITTEE,
)

__all__ = ["LABELS", "register_pages"]

i18n.MESSAGES.update(LABELS)


def register_pages() -> None:
    console_page("/origination/new", title_key="orig.page.new", permission=APPLICATION_CREATE, group=GROUP,
                 order=10, icon="note_add")(wizard_page)
    console_page("/origination/applications", title_key="orig.page.list", permission=APPLICATION_VIEW, group=GROUP,
                 order=20, icon="list_alt")(list_page)
    console_page("/origination/tasks", title_key="orig.page.tasks", permission=APPLICATION_VIEW, group=GROUP,
                 order=30, icon="assignment_ind")(tasks_page)
    console_page("/origination/committee", title_key="orig.page.committee", permission=REVIEW_COMMITTEE,
                 group=GROUP, order=40, icon="groups")(committee_page)
    console_page("/origination/contracts", title_key="orig.page.contracts", permission=VIEW_CONTRACTS, group=GROUP,
                 order=50, icon="draw")(contracts_page)
    console_page("/origination/application", title_key="orig.page.detail", permission=APPLICATION_VIEW,
                 icon="description")(detail_page)
    console_page("/origination/review", title_key="orig.page.review", permission=APPLICATION_VIEW,
                 icon="fact_check")(review_page)
    console_page("/origination/contract", title_key="orig.page.contract", permission=VIEW_CONTRACTS,
                 icon="draw")(contract_page)
    console_page("/origination/disbursements", title_key="orig.page.disbursements", permission=DISBURSEMENT_VIEW,
                 group=GROUP, order=60, icon="payments")(disbursements_page)
    console_page("/origination/disbursement", title_key="orig.page.disbursement", permission=DISBURSEMENT_VIEW,
                 icon="payments")(disbursement_page)
    from autofin.origination.partners import console as partner_console  # second-party intake (第二方进件)

    partner_console.register_pages()
    from autofin.origination.console import borrower  # the borrower's public status page (进度查询)

    borrower.register_pages()

"""Event handlers of origination, run in the publishing transaction (loaded by ``autofin.domains``).

Contract signed → application contracted; the bank's answer on a disbursement → loan opened / back to review;
re-approval after a failed payment; the disbursement fee → ledger; an approved credit-line request → a line.
"""

from __future__ import annotations

from autofin.channels.events import PaymentFailed, PaymentPosted
from autofin.kernel.events import subscribe
from autofin.origination.contracts.events import ContractSigned
from autofin.origination.disbursing import credit_lines
from autofin.origination.disbursing import service as disbursement
from autofin.origination.events import ApplicationApproved, DisbursementFeeCharged

subscribe(ContractSigned, disbursement.on_contract_signed)
subscribe(PaymentPosted, disbursement.on_payment_posted)
subscribe(PaymentFailed, disbursement.on_payment_failed)
subscribe(ApplicationApproved, disbursement.on_application_approved)
subscribe(ApplicationApproved, credit_lines.on_application_approved)
subscribe(DisbursementFeeCharged, disbursement.on_fee_charged)

"""Permissions of origination, in the menu group 业务中心 (business)."""

from __future__ import annotations

from autofin.kernel.permissions import declare, declare_group

GROUP = declare_group("business", "业务中心", "Business centre", 20).code

APPLICATION_VIEW = declare("origination.application.view", "查看贷款申请", "View loan applications", GROUP)
APPLICATION_CREATE = declare("origination.application.create", "录入贷款申请", "Create loan applications", GROUP)
APPLICATION_UPDATE = declare("origination.application.update", "修改贷款申请", "Edit draft applications", GROUP)
APPLICATION_SUBMIT = declare("origination.application.submit", "提交贷款申请", "Submit loan applications", GROUP)
APPLICATION_WITHDRAW = declare("origination.application.withdraw", "撤回贷款申请", "Withdraw loan applications", GROUP)
REVIEW_FIRST = declare("origination.review.first", "初审", "First review", GROUP)
REVIEW_SECOND = declare("origination.review.second", "复审", "Second review", GROUP)
REVIEW_FINAL = declare("origination.review.final", "终审", "Final review", GROUP)
REVIEW_COMMITTEE = declare("origination.review.committee", "贷审会投票", "Credit committee vote", GROUP)
RULE_MANAGE = declare("origination.rule.manage", "维护进件规则与审批链", "Manage intake rules and review chains", GROUP)
TASK_REASSIGN = declare("origination.task.reassign", "改派审批任务", "Reassign review tasks (supervisor)", GROUP)

# Disbursement (放款管理): codes under ``disbursement.`` so the built-in finance role (``disbursement.*``) holds them.
DISBURSEMENT_VIEW = declare("disbursement.view", "查看放款", "View disbursements", GROUP)
DISBURSEMENT_REGISTER = declare("disbursement.register", "放款登记", "Register disbursements", GROUP)
DISBURSEMENT_REVIEW = declare("disbursement.review", "放款复核", "Review disbursements (second person)", GROUP)
DOWN_PAYMENT_RECORD = declare("disbursement.down_payment", "登记首付款到账", "Record down-payment receipts", GROUP)
CREDIT_LINE_VIEW = declare("origination.credit_line.view", "查看授信额度", "View credit lines", GROUP)
CREDIT_LINE_MANAGE = declare("origination.credit_line.manage", "申请授信与用信", "Request credit lines and drawdowns",
                             GROUP)

STAGE_PERMISSIONS: dict[str, str] = {
    "first_review": REVIEW_FIRST,
    "second_review": REVIEW_SECOND,
    "final_review": REVIEW_FINAL,
    "committee": REVIEW_COMMITTEE,
}

# Contract and signing permissions are declared beside their code; importing them here registers them with the rest.
from autofin.origination.contracts import permissions as contract_permissions  # noqa: E402, F401
from autofin.origination.partners import permissions as partner_permissions  # noqa: E402, F401

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

STAGE_PERMISSIONS: dict[str, str] = {
    "first_review": REVIEW_FIRST,
    "second_review": REVIEW_SECOND,
    "final_review": REVIEW_FINAL,
    "committee": REVIEW_COMMITTEE,
}

# Contract and signing permissions are declared beside their code; importing them here registers them with the rest.
from autofin.origination.contracts import permissions as contract_permissions  # noqa: E402, F401

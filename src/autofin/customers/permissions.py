"""Permissions of the customers domain (menu group 客户管理). Each personal-data group has its own unmask right."""

from __future__ import annotations

from autofin.kernel.permissions import declare, declare_group

GROUP = declare_group("customers", "客户管理", "Customers", 30)

CUSTOMER_VIEW = declare("customers.customer.view", "查看客户", "View customers", "customers")
CUSTOMER_CREATE = declare("customers.customer.create", "新增客户", "Create customers", "customers")
CUSTOMER_UPDATE = declare("customers.customer.update", "编辑客户", "Edit customers", "customers")
CUSTOMER_MERGE = declare(
    "customers.customer.merge", "客户查重与合并", "Review and merge duplicate customers", "customers"
)
USCC_OVERRIDE = declare(
    "customers.uscc.override", "统一社会信用代码校验强制通过", "Override a failing USCC check", "customers"
)
PII_IDENTITY = declare("customers.pii.identity.view", "查看完整身份信息", "Unmask identity data", "customers")
PII_CONTACT = declare("customers.pii.contact.view", "查看完整联系方式与地址", "Unmask contact and address", "customers")
PII_FINANCE = declare("customers.pii.finance.view", "查看财务信息", "Unmask finance data", "customers")
PII_CREDIT = declare("customers.pii.credit.view", "查看征信信息", "Unmask credit report data", "customers")
TAG_MANAGE = declare("customers.tag.manage", "管理客户标签", "Manage customer tags", "customers")
GRADE_MANAGE = declare("customers.grade.manage", "管理客户等级", "Manage customer grades", "customers")
CARD_VIEW = declare("customers.card.view", "查看银行卡（掩码）", "View bank cards (masked)", "customers")
CARD_MANAGE = declare("customers.card.manage", "绑定银行卡", "Add bank cards", "customers")
CARD_REVEAL = declare("customers.card.reveal", "查看完整卡号", "Reveal full card numbers", "customers")
BLACKLIST_VIEW = declare("customers.blacklist.view", "查看黑名单", "View the blacklist", "customers")
BLACKLIST_MANAGE = declare(
    "customers.blacklist.manage", "新增黑名单/申请移除", "Add to and ask to remove from the blacklist", "customers"
)
BLACKLIST_APPROVE = declare("customers.blacklist.approve", "审批黑名单移除", "Approve blacklist removals", "customers")

PII_GROUPS: dict[str, str] = {
    "identity": PII_IDENTITY,
    "contact": PII_CONTACT,
    "finance": PII_FINANCE,
    "credit": PII_CREDIT,
}

"""Ledger permissions, in the finance centre (财务中心) menu group."""

from __future__ import annotations

from autofin.kernel.permissions import declare, declare_group

FINANCE = declare_group("finance", "财务中心", "Finance centre", 60).code

VIEW_ACCOUNTS = declare("ledger.account.view", "查看会计科目", "View chart of accounts", FINANCE)
MANAGE_ACCOUNTS = declare("ledger.account.manage", "维护会计科目", "Manage chart of accounts", FINANCE)
MANAGE_RULES = declare("ledger.rule.manage", "维护记账规则与账务设置", "Manage posting rules and settings", FINANCE)
VIEW_ENTRIES = declare("ledger.entry.view", "查看凭证与明细账", "View journal entries and ledgers", FINANCE)
POST_EVENTS = declare("ledger.entry.post", "业务事件自动记账", "Post business events", FINANCE)
REVERSE_ENTRIES = declare("ledger.entry.reverse", "红字冲销凭证", "Reverse journal entries", FINANCE)
CREATE_VOUCHERS = declare("ledger.voucher.create", "录入手工凭证（制单）", "Create manual vouchers (maker)", FINANCE)
APPROVE_VOUCHERS = declare(
    "ledger.voucher.approve", "审核手工凭证（复核）", "Approve manual vouchers (checker)", FINANCE
)
VIEW_REPORTS = declare("ledger.report.view", "查看财务报表", "View financial statements", FINANCE)
CLOSE_PERIODS = declare("ledger.period.close", "期末结账", "Close accounting periods", FINANCE)
REOPEN_PERIODS = declare("ledger.period.reopen", "反结账", "Reopen closed periods", FINANCE)
MANAGE_CASH = declare("ledger.cash.manage", "资金日记账与银行对账", "Cash journal and bank reconciliation", FINANCE)

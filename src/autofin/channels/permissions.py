"""Payment channel permissions, in the finance centre (财务中心) menu group (declared by the ledger too)."""

from __future__ import annotations

from autofin.kernel.permissions import declare, declare_group

# The same values as ledger/permissions.py: whichever is imported first, the group is the same.
FINANCE = declare_group("finance", "财务中心", "Finance centre", 60).code

VIEW_PAYMENTS = declare("channels.payment.view", "查看付款指令", "View payment instructions", FINANCE)
RESERVE_PAYMENTS = declare("channels.payment.reserve", "登记付款指令", "Reserve payment instructions", FINANCE)
SEND_PAYMENTS = declare("channels.payment.send", "发送付款指令至银行", "Send payment instructions to the bank", FINANCE)

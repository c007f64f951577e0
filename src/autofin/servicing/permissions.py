"""Permissions of servicing (menu group 贷后管理)."""

from __future__ import annotations

from autofin.kernel.permissions import declare, declare_group

GROUP = declare_group("servicing", "贷后管理", "Servicing", 70)

LOAN_VIEW = declare("servicing.loan.view", "查看贷款账户", "View loan accounts", "servicing")
LOAN_OPEN = declare("servicing.loan.open", "开立贷款账户（放款）", "Open loan accounts (disbursement)", "servicing")
REPAYMENT_RECORD = declare("servicing.repayment.record", "录入还款", "Record repayments", "servicing")
REPAYMENT_CONFIRM = declare("servicing.repayment.confirm", "复核还款", "Confirm repayments (checker)", "servicing")
TRANSACTION_REVERSE = declare("servicing.transaction.reverse", "冲正交易", "Reverse transactions", "servicing")
EOD_RUN = declare("servicing.eod.run", "执行日终批处理", "Run the end-of-day batch", "servicing")

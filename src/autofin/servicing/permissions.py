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
SPECIAL_APPLY = declare("servicing.special.apply", "申请特殊业务", "Apply for special business", "servicing")
SPECIAL_REVIEW = declare("servicing.special.review", "审核特殊业务", "Review special business", "servicing")
SPECIAL_APPROVE = declare("servicing.special.approve", "审批特殊业务（主管）",
                          "Approve special business (manager level)", "servicing")
SPECIAL_EXECUTE = declare("servicing.special.execute", "执行特殊业务", "Execute approved special business",
                          "servicing")
DEBIT_VIEW = declare("servicing.debit.view", "查看代扣", "View direct debits", "servicing")
DEBIT_MANAGE = declare("servicing.debit.manage", "管理代扣授权", "Manage direct-debit mandates", "servicing")
DEBIT_SEND = declare("servicing.debit.send", "发送代扣指令", "Send direct-debit instructions", "servicing")
STATEMENT_IMPORT = declare("servicing.statement.import", "导入银行流水并匹配", "Import and match bank statements",
                           "servicing")
REFUND_REQUEST = declare("servicing.refund.request", "申请退款", "Request refunds of credit balances", "servicing")
REFUND_REVIEW = declare("servicing.refund.review", "审核退款", "Review refunds", "servicing")

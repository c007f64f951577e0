"""The seeded chart of accounts (会计科目表) and posting rules (记账规则) of a Chinese auto-finance company.

Data, not code: ``seed.py`` inserts the rows that are missing and never overwrites what finance changed later.
Amount expressions see the event's named amounts and ``vat_rate`` (0 when VAT separation is switched off);
``net(x)``/``tax(x)`` split a tax-inclusive income into price and output VAT (价税分离).
"""

from __future__ import annotations

from dataclasses import dataclass

from autofin.ledger.rules.engine import Basis, Rule, RuleLine, Side


@dataclass(frozen=True)
class AccountSeed:
    code: str
    name_zh: str
    name_en: str
    type: str  # asset / liability / equity / income / expense / off_balance
    parent: str | None = None
    normal_balance: str | None = None  # default from the type; contra accounts say otherwise


CHART: tuple[AccountSeed, ...] = (
    AccountSeed("1002", "银行存款", "Bank deposits", "asset"),
    AccountSeed("1132", "应收利息", "Interest receivable", "asset"),
    AccountSeed("1303", "贷款", "Loans", "asset"),
    AccountSeed("130301", "正常本金", "Loans - performing principal", "asset", "1303"),
    AccountSeed("130302", "逾期本金", "Loans - overdue principal", "asset", "1303"),
    AccountSeed("1304", "贷款损失准备", "Loan loss provision", "asset", None, "credit"),
    AccountSeed("2221", "应交税费", "Taxes payable", "liability"),
    AccountSeed("222101", "应交增值税-销项税额", "VAT payable - output tax", "liability", "2221"),
    AccountSeed("2241", "其他应付款", "Other payables (customer credit balances)", "liability"),
    AccountSeed("4001", "实收资本", "Paid-in capital", "equity"),
    AccountSeed("4103", "本年利润", "Current-year profit", "equity"),
    AccountSeed("4104", "利润分配", "Profit distribution (retained earnings)", "equity"),
    AccountSeed("6011", "利息收入", "Interest income", "income"),
    AccountSeed("6021", "手续费及佣金收入", "Fee and commission income", "income"),
    AccountSeed("6117", "罚息收入", "Penalty interest income", "income"),
    AccountSeed("6301", "营业外收入", "Non-operating income", "income"),
    AccountSeed("6602", "管理费用", "Administrative expenses", "expense"),
    AccountSeed("6701", "资产减值损失", "Impairment losses", "expense"),
    AccountSeed("6711", "营业外支出", "Non-operating expenses", "expense"),
    AccountSeed("7001", "核销贷款", "Written-off loans (memorandum)", "off_balance", None, "debit"),
    AccountSeed("7002", "核销贷款备查", "Written-off loans - memorandum contra", "off_balance", None, "credit"),
)

NORMAL_BALANCE_OF_TYPE = {
    "asset": "debit",
    "expense": "debit",
    "liability": "credit",
    "equity": "credit",
    "income": "credit",
    "off_balance": "debit",
}

D, C = Side.DEBIT, Side.CREDIT
BOTH, ACCRUAL, CASH = Basis.BOTH, Basis.ACCRUAL, Basis.CASH
# Cash-flow activities of the cash lines (现金流量表项目): loan business is operating, capital is financing.
OPER, FIN = "operating", "financing"

REPAID_TOTAL = "principal + overdue_principal + interest + fee + penalty"

RULES: tuple[Rule, ...] = (
    Rule(
        "capital.contributed",
        BOTH,
        (
            RuleLine("1002", D, "amount", "capital received", FIN),
            RuleLine("4001", C, "amount", "paid-in capital"),
        ),
        "Capital paid in",
        "收到投资款",
    ),
    Rule(
        "loan.disbursed",
        BOTH,
        (
            RuleLine("130301", D, "principal", "loan principal"),
            RuleLine("1002", C, "principal", "paid to the borrower or dealer", OPER),
        ),
        "Loan disbursed",
        "贷款发放",
    ),
    Rule(
        "principal.became_overdue",
        BOTH,
        (
            RuleLine("130302", D, "principal", "principal now overdue"),
            RuleLine("130301", C, "principal", "out of performing principal"),
        ),
        "Principal became overdue",
        "本金转逾期",
    ),
    Rule(
        "repayment.allocated",
        ACCRUAL,
        (
            RuleLine("1002", D, REPAID_TOTAL, "repayment received", OPER),
            RuleLine("130301", C, "principal", "principal repaid"),
            RuleLine("130302", C, "overdue_principal", "overdue principal repaid"),
            RuleLine("1132", C, "interest + penalty", "accrued interest and penalty collected"),
            RuleLine("6021", C, "net(fee)", "fee income, net of VAT"),
            RuleLine("222101", C, "tax(fee)", "output VAT on fee"),
        ),
        "Repayment allocated (accrual basis)",
        "还款入账（权责发生制）",
    ),
    Rule(
        "repayment.allocated",
        CASH,
        (
            RuleLine("1002", D, REPAID_TOTAL, "repayment received", OPER),
            RuleLine("130301", C, "principal", "principal repaid"),
            RuleLine("130302", C, "overdue_principal", "overdue principal repaid"),
            RuleLine("6011", C, "net(interest)", "interest income, net of VAT"),
            RuleLine("6117", C, "net(penalty)", "penalty income, net of VAT"),
            RuleLine("6021", C, "net(fee)", "fee income, net of VAT"),
            RuleLine("222101", C, "tax(interest) + tax(penalty) + tax(fee)", "output VAT"),
        ),
        "Repayment allocated (cash basis)",
        "还款入账（收付实现制）",
    ),
    Rule(
        "interest.accrued",
        ACCRUAL,
        (
            RuleLine("1132", D, "interest", "interest accrued"),
            RuleLine("6011", C, "net(interest)", "interest income, net of VAT"),
            RuleLine("222101", C, "tax(interest)", "output VAT on interest"),
        ),
        "Interest accrued",
        "计提利息",
    ),
    Rule("interest.accrued", CASH, (), "Interest accrued: nothing to book on a cash basis", "计提利息（收付实现制）"),
    Rule(
        "penalty.accrued",
        ACCRUAL,
        (
            RuleLine("1132", D, "penalty", "penalty interest accrued"),
            RuleLine("6117", C, "net(penalty)", "penalty income, net of VAT"),
            RuleLine("222101", C, "tax(penalty)", "output VAT on penalty"),
        ),
        "Penalty interest accrued",
        "计提罚息",
    ),
    Rule("penalty.accrued", CASH, (), "Penalty accrued: nothing to book on a cash basis", "计提罚息（收付实现制）"),
    Rule(
        "fee.charged",
        BOTH,
        (
            RuleLine("1002", D, "fee", "fee received", OPER),
            RuleLine("6021", C, "net(fee)", "fee income, net of VAT"),
            RuleLine("222101", C, "tax(fee)", "output VAT on fee"),
        ),
        "Fee charged and received (service / consulting fee)",
        "收取服务费/咨询费",
    ),
    Rule(
        "prepayment.received",
        ACCRUAL,
        (
            RuleLine("1002", D, "principal + interest + fee", "prepayment received", OPER),
            RuleLine("130301", C, "principal", "principal prepaid"),
            RuleLine("1132", C, "interest", "accrued interest collected"),
            RuleLine("6021", C, "net(fee)", "prepayment fee, net of VAT"),
            RuleLine("222101", C, "tax(fee)", "output VAT on prepayment fee"),
        ),
        "Prepayment received (accrual basis)",
        "提前还款（权责发生制）",
    ),
    Rule(
        "prepayment.received",
        CASH,
        (
            RuleLine("1002", D, "principal + interest + fee", "prepayment received", OPER),
            RuleLine("130301", C, "principal", "principal prepaid"),
            RuleLine("6011", C, "net(interest)", "interest income, net of VAT"),
            RuleLine("6021", C, "net(fee)", "prepayment fee, net of VAT"),
            RuleLine("222101", C, "tax(interest) + tax(fee)", "output VAT"),
        ),
        "Prepayment received (cash basis)",
        "提前还款（收付实现制）",
    ),
    Rule(
        "waiver.granted",
        ACCRUAL,
        (
            RuleLine("6011", D, "net(interest)", "interest income waived"),
            RuleLine("6117", D, "net(penalty)", "penalty income waived"),
            RuleLine("222101", D, "tax(interest) + tax(penalty)", "output VAT reversed"),
            RuleLine("1132", C, "interest + penalty", "receivable waived"),
        ),
        "Interest / penalty waived",
        "减免利息罚息",
    ),
    Rule("waiver.granted", CASH, (), "Waiver: nothing was booked on a cash basis", "减免（收付实现制不入账）"),
    Rule(
        "loan.restructured",
        ACCRUAL,
        (
            RuleLine("130301", D, "interest + penalty + fee", "arrears capitalised into principal"),
            RuleLine("1132", C, "interest + penalty", "interest / penalty receivable capitalised"),
            RuleLine("6021", C, "net(fee)", "fees capitalised, net of VAT"),
            RuleLine("222101", C, "tax(fee)", "output VAT"),
        ),
        "Loan restructured: arrears capitalised",
        "贷款重组（欠息资本化）",
    ),
    Rule(
        "loan.restructured",
        CASH,
        (
            RuleLine("130301", D, "interest + penalty + fee", "arrears capitalised into principal"),
            RuleLine("6011", C, "net(interest)", "interest capitalised, net of VAT"),
            RuleLine("6117", C, "net(penalty)", "penalty capitalised, net of VAT"),
            RuleLine("6021", C, "net(fee)", "fees capitalised, net of VAT"),
            RuleLine("222101", C, "tax(interest) + tax(penalty) + tax(fee)", "output VAT"),
        ),
        "Loan restructured: arrears capitalised (cash basis)",
        "贷款重组（欠息资本化，收付实现制）",
    ),
    Rule(
        "provision.changed",
        BOTH,
        (
            RuleLine("6701", D, "pos(change)", "provision charged"),
            RuleLine("1304", C, "pos(change)", "provision increased"),
            RuleLine("1304", D, "pos(-change)", "provision released"),
            RuleLine("6701", C, "pos(-change)", "provision release"),
        ),
        "Loan loss provision changed (change > 0 charges, < 0 releases)",
        "计提/转回贷款损失准备",
    ),
    Rule(
        "loan.written_off",
        BOTH,
        (
            RuleLine("1304", D, "principal + overdue_principal + interest", "written off against the provision"),
            RuleLine("130301", C, "principal", "performing principal written off"),
            RuleLine("130302", C, "overdue_principal", "overdue principal written off"),
            RuleLine("1132", C, "interest", "interest receivable written off"),
            RuleLine("7001", D, "principal + overdue_principal + interest", "memorandum: written-off loan"),
            RuleLine("7002", C, "principal + overdue_principal + interest", "memorandum contra"),
        ),
        "Loan written off (with off-balance memorandum)",
        "贷款核销（表外登记）",
    ),
    Rule(
        "recovery.received",
        BOTH,
        (
            RuleLine("1002", D, "amount", "recovery received", OPER),
            RuleLine("6301", C, "amount", "recovery of a written-off loan"),
            RuleLine("7002", D, "amount", "memorandum contra reduced"),
            RuleLine("7001", C, "amount", "memorandum: written-off loan recovered"),
        ),
        "Recovery after write-off",
        "核销后收回",
    ),
    Rule(
        "debt.transferred",
        BOTH,
        (
            RuleLine("1002", D, "consideration", "transfer price received", OPER),
            RuleLine("130301", C, "principal", "performing principal transferred"),
            RuleLine("130302", C, "overdue_principal", "overdue principal transferred"),
            RuleLine("1132", C, "interest", "interest receivable transferred"),
            RuleLine("6301", C, "pos(consideration - principal - overdue_principal - interest)", "gain on transfer"),
            RuleLine("6711", D, "pos(principal + overdue_principal + interest - consideration)", "loss on transfer"),
        ),
        "Debt transferred (gain or loss)",
        "债务转让（损益）",
    ),
    Rule(
        "credit_balance.created",
        BOTH,
        (
            RuleLine("1002", D, "amount", "overpayment received", OPER),
            RuleLine("2241", C, "amount", "customer credit balance"),
        ),
        "Customer credit balance created (overpayment)",
        "客户溢缴款",
    ),
    Rule(
        "refund.paid",
        BOTH,
        (
            RuleLine("2241", D, "amount", "credit balance refunded"),
            RuleLine("1002", C, "amount", "refund paid", OPER),
        ),
        "Refund paid",
        "退款",
    ),
)

EVENT_TYPES: tuple[str, ...] = tuple(dict.fromkeys(rule.event_type for rule in RULES))

"""Errors of servicing, each with a stable code and a bilingual message saying what would be right."""

from __future__ import annotations

from autofin.kernel.errors import Conflict, NotFound, RuleViolation, Text


def loan_not_found(loan_id: int) -> NotFound:
    return NotFound("servicing.loan.not_found", Text(f"Loan account {loan_id} does not exist or is not visible "
                                                     "to you.", f"贷款账户 {loan_id} 不存在或无权查看。"))


def transaction_not_found(transaction_id: int) -> NotFound:
    return NotFound("servicing.transaction.not_found", Text(f"Transaction {transaction_id} does not exist.",
                                                            f"交易 {transaction_id} 不存在。"))


def same_person() -> RuleViolation:
    return RuleViolation("servicing.repayment.same_person", Text(
        "A repayment must be confirmed by someone other than the person who recorded it.",
        "还款须由录入人以外的另一人复核确认。"))


def not_pending(transaction_id: int, status: str) -> Conflict:
    return Conflict("servicing.transaction.not_pending", Text(
        f"Transaction {transaction_id} is {status}, not pending: only a pending repayment can be confirmed.",
        f"交易 {transaction_id} 状态为 {status}，不是待复核：只有待复核的还款才能确认。"))


def not_reversible(transaction_id: int, status: str) -> Conflict:
    return Conflict("servicing.transaction.not_reversible", Text(
        f"Transaction {transaction_id} is {status}: only a confirmed repayment, prepayment, fee or waiver can be "
        "reversed.", f"交易 {transaction_id} 状态为 {status}：只有已确认的还款、提前还款、费用或减免可以冲正。"))


def loan_closed(contract_no: str, status: str) -> RuleViolation:
    return RuleViolation("servicing.loan.closed", Text(
        f"Loan {contract_no} is {status}: repayments are taken only on active or overdue loans.",
        f"贷款 {contract_no} 状态为 {status}：只有正常或逾期的贷款可以还款。"))


def duplicate_contract(contract_no: str) -> Conflict:
    return Conflict("servicing.loan.duplicate_contract", Text(
        f"A loan account with contract number {contract_no} already exists; use another contract number.",
        f"合同号 {contract_no} 的贷款账户已存在，请使用其他合同号。"))

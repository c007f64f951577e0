"""Errors of special business, each with a stable code and a bilingual message saying what would be right."""

from __future__ import annotations

from autofin.kernel.errors import Conflict, NotFound, RuleViolation, Text

KIND_NAMES = {
    "prepayment": ("prepayment", "提前还款"), "extension": ("extension", "展期"),
    "restructure": ("restructure", "重组"), "transfer": ("debt transfer", "债务转让"),
    "contract_change": ("contract change", "合同变更"), "waiver": ("waiver", "减免"),
    "write_off": ("write-off", "核销"), "recovery": ("recovery", "核销后收回"),
    "reclassification": ("reclassification", "五级分类调整"),
}


def kind_name(kind: str) -> tuple[str, str]:
    return KIND_NAMES.get(kind, (kind, kind))


def request_not_found(request_id: int) -> NotFound:
    return NotFound("servicing.special.not_found", Text(
        f"Special business request {request_id} does not exist or is not visible to you.",
        f"特殊业务申请 {request_id} 不存在或无权查看。"))


def rule(code: str, en: str, zh: str) -> RuleViolation:
    return RuleViolation(f"servicing.special.{code}", Text(en, zh))


def already_open(kind: str, request_id: int) -> Conflict:
    en, zh = kind_name(kind)
    return Conflict("servicing.special.already_open", Text(
        f"This loan already has an open {en} request ({request_id}); finish or cancel it first.",
        f"该贷款已有未完成的{zh}申请（{request_id}），请先完成或撤销。"))


def wrong_status(request_id: int, status: str, wanted: str) -> Conflict:
    return Conflict("servicing.special.wrong_status", Text(
        f"Request {request_id} is {status}; this needs a request that is {wanted}.",
        f"申请 {request_id} 状态为 {status}，此操作要求状态为 {wanted}。"))


def same_person() -> RuleViolation:
    return rule("same_person", "A special business request must be reviewed by someone other than its applicant.",
                "特殊业务须由申请人以外的人审核。")


def already_approved() -> RuleViolation:
    return rule("already_approved", "You already approved this request: another approver must give the next "
                "approval.", "您已审批过该申请，下一级审批须由另一人完成。")


def loan_state(contract_no: str, status: str, allowed: str, allowed_zh: str) -> RuleViolation:
    return rule("loan_state", f"Loan {contract_no} is {status}: this business needs a loan that is {allowed}.",
                f"贷款 {contract_no} 状态为 {status}：此业务要求贷款为{allowed_zh}。")


def idempotency_reused() -> Conflict:
    return Conflict("servicing.special.idempotency_reused", Text(
        "This idempotency key was already used for another special business request; use a new key.",
        "该幂等键已用于另一笔特殊业务申请，请使用新的键。"))

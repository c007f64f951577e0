"""Errors of the customers domain, bilingual, with stable codes."""

from __future__ import annotations

from autofin.kernel.errors import (
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    RuleViolation,
    Text,
    ValidationFailed,
)


def customer_not_found(customer_id: object) -> NotFound:
    return NotFound(
        "customers.customer.not_found",
        Text(
            f"Customer {customer_id} does not exist or is outside your data scope.",
            f"客户 {customer_id} 不存在或不在您的数据权限范围内。",
        ),
    )


def duplicate_id_number(existing_id: int) -> Conflict:
    return Conflict(
        "customers.customer.duplicate_id",
        Text(
            f"A customer with this ID number already exists (customer {existing_id}); open that record "
            "instead of creating a new one.",
            f"该证件号码的客户已存在（客户 {existing_id}），请直接使用该客户记录。",
        ),
        [FieldError("id_number", Text("This ID number is already registered.", "该证件号码已登记。"))],
    )


def reason_required(field: str = "reason") -> ValidationFailed:
    text = Text(
        "Give a reason (at least 4 characters); it is kept in the audit log.",
        "请填写理由（至少4个字符），理由将记入审计日志。",
    )
    return ValidationFailed("customers.reason_required", text, [FieldError(field, text)])


def override_not_allowed() -> PermissionDenied:
    return PermissionDenied(
        "customers.uscc.override_denied",
        Text(
            "Only a holder of 'customers.uscc.override' may accept a code that fails its check.",
            "只有拥有“customers.uscc.override”权限的人员才能强制通过校验失败的信用代码。",
        ),
    )


def not_found(what_en: str, what_zh: str, code: str, ident: object) -> NotFound:
    return NotFound(code, Text(f"{what_en} {ident} does not exist.", f"{what_zh} {ident} 不存在。"))


def same_person_approval() -> RuleViolation:
    return RuleViolation(
        "customers.blacklist.second_person_required",
        Text(
            "A blacklist removal must be approved by someone other than the person who asked for it.",
            "黑名单移除须由申请人以外的另一人审批。",
        ),
    )


def blacklisted(kinds: list[str]) -> RuleViolation:
    names = ", ".join(kinds)
    return RuleViolation(
        "customers.blacklist.hit",
        Text(
            f"The applicant is on the blacklist ({names}); the application cannot proceed. Risk "
            "officers have been alerted.",
            f"申请人命中黑名单（{names}），申请不能继续，已通知风控人员。",
        ),
        [FieldError(kind, Text("On the blacklist.", "命中黑名单。")) for kind in kinds],
    )

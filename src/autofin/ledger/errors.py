"""Ledger errors: stable codes ``ledger.<entity>.<reason>``, bilingual messages that say what would be right."""

from __future__ import annotations

from decimal import Decimal

from autofin.kernel.errors import Conflict, FieldError, NotFound, RuleViolation, Text, ValidationFailed


def period_closed(period: str) -> Conflict:
    return Conflict(
        "ledger.period.closed",
        Text(
            f"The accounting period {period} is closed; date the entry in an open period or ask finance to reopen it.",
            f"会计期间 {period} 已结账，请将凭证日期改到未结账期间，或请财务反结账。",
        ),
    )


def unbalanced(debit: Decimal, credit: Decimal, details: list[str] | None = None) -> ValidationFailed:
    text = Text(
        f"The entry is unbalanced: debits {debit} and credits {credit} must be equal.",
        f"凭证借贷不平衡：借方合计 {debit}，贷方合计 {credit}，两者必须相等。",
    )
    errors = [FieldError("lines", Text(d, d)) for d in (details or [])] or [FieldError("lines", text)]
    return ValidationFailed("ledger.entry.unbalanced", text, errors)


def account_not_found(code: str) -> NotFound:
    return NotFound(
        "ledger.account.not_found",
        Text(f"There is no account {code} in the chart of accounts.", f"会计科目表中没有科目 {code}。"),
    )


def account_not_postable(code: str, reason_en: str, reason_zh: str) -> RuleViolation:
    return RuleViolation(
        "ledger.account.not_postable",
        Text(f"Account {code} cannot be posted to: {reason_en}.", f"科目 {code} 不能记账：{reason_zh}。"),
        [FieldError("account_code", Text(reason_en, reason_zh))],
    )


def no_rule(event_type: str, basis: str) -> RuleViolation:
    return RuleViolation(
        "ledger.rule.not_found",
        Text(
            f"No active posting rule for event '{event_type}' on the {basis} basis; add one in the posting rules.",
            f"事件“{event_type}”在{basis}制下没有启用的记账规则，请先配置记账规则。",
        ),
    )


def unknown_amounts(event_type: str, names: list[str], allowed: list[str]) -> ValidationFailed:
    text = Text(
        f"Event '{event_type}' has no amount named {', '.join(names)}; use {', '.join(allowed)}.",
        f"事件“{event_type}”没有金额字段 {', '.join(names)}，可用字段：{', '.join(allowed)}。",
    )
    return ValidationFailed("ledger.event.unknown_amount", text, [FieldError("amounts", text)])


def negative_line(event_type: str, account_code: str, expression: str, value: Decimal) -> RuleViolation:
    return RuleViolation(
        "ledger.rule.negative_amount",
        Text(
            f"The rule for '{event_type}' gives {value} for account {account_code} ({expression}); amounts must "
            "not be negative — check the event's amounts.",
            f"事件“{event_type}”的记账规则在科目 {account_code} 上得出负数 {value}（{expression}），请检查事件金额。",
        ),
    )


def nothing_to_post(event_type: str) -> RuleViolation:
    return RuleViolation(
        "ledger.event.zero",
        Text(
            f"Event '{event_type}' carries no amount to post; send at least one positive amount.",
            f"事件“{event_type}”没有可记账的金额，请至少提供一个正数金额。",
        ),
    )


def duplicate_event(event_type: str, source: str) -> Conflict:
    return Conflict(
        "ledger.event.duplicate",
        Text(
            f"Event '{event_type}' from {source} was already posted with different content; a correction must be "
            "a reversal plus a new event with a new source reference.",
            f"来源 {source} 的事件“{event_type}”已按不同内容入账；更正请先冲销再以新的来源编号入账。",
        ),
    )


def entry_not_found(entry_id: int) -> NotFound:
    return NotFound("ledger.entry.not_found", Text(f"There is no entry {entry_id}.", f"凭证 {entry_id} 不存在。"))


def voucher_not_found(voucher_id: int) -> NotFound:
    return NotFound(
        "ledger.voucher.not_found", Text(f"There is no voucher {voucher_id}.", f"手工凭证 {voucher_id} 不存在。")
    )


def already_reversed(voucher_no: str) -> Conflict:
    return Conflict(
        "ledger.entry.already_reversed",
        Text(f"Entry {voucher_no} has already been reversed.", f"凭证 {voucher_no} 已被冲销，不能重复冲销。"),
    )


def reversal_of_reversal(voucher_no: str) -> RuleViolation:
    return RuleViolation(
        "ledger.entry.is_reversal",
        Text(
            f"Entry {voucher_no} is itself a reversal; post the original again instead of reversing the reversal.",
            f"凭证 {voucher_no} 本身是冲销凭证，请重新录入原凭证，而不是冲销冲销凭证。",
        ),
    )


def voucher_not_draft(voucher_id: int, status: str) -> Conflict:
    return Conflict(
        "ledger.voucher.not_draft",
        Text(
            f"Voucher {voucher_id} is {status}; only a draft voucher can be approved or rejected.",
            f"手工凭证 {voucher_id} 状态为 {status}，只有待审核的凭证可以审核或驳回。",
        ),
    )


def maker_cannot_check(voucher_id: int) -> RuleViolation:
    return RuleViolation(
        "ledger.voucher.maker_is_checker",
        Text(
            f"You made voucher {voucher_id}; a different person must approve or reject it (maker-checker).",
            f"手工凭证 {voucher_id} 由您制单，须由另一人审核（制单与审核分离）。",
        ),
    )


def bad_period(value: str) -> ValidationFailed:
    text = Text(
        f"'{value}' is not a period; write it as YYYY-MM, e.g. 2025-11.",
        f"“{value}”不是有效期间，格式为 YYYY-MM，如 2025-11。",
    )
    return ValidationFailed("ledger.period.invalid", text, [FieldError("period", text)])


def checklist_failed(period: str, failures: list[str]) -> RuleViolation:
    return RuleViolation(
        "ledger.period.checklist_failed",
        Text(
            f"Period {period} cannot be closed yet: {'; '.join(failures)}.",
            f"期间 {period} 暂不能结账：{'；'.join(failures)}。",
        ),
        [FieldError("checklist", Text(f, f)) for f in failures],
    )


def period_not_closed(period: str) -> Conflict:
    return Conflict(
        "ledger.period.not_closed",
        Text(f"Period {period} is open; only a closed period can be reopened.", f"期间 {period} 未结账，无需反结账。"),
    )


def period_already_closed(period: str) -> Conflict:
    return Conflict(
        "ledger.period.already_closed",
        Text(f"Period {period} is already closed.", f"期间 {period} 已结账。"),
    )


def reason_required() -> ValidationFailed:
    text = Text("Give a reason (at least 5 characters) for reopening the period.", "反结账须填写原因（至少 5 个字）。")
    return ValidationFailed("ledger.period.reason_required", text, [FieldError("reason", text)])

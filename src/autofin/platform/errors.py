"""Errors of the platform domain, with stable codes."""

from __future__ import annotations

from autofin.kernel.errors import Conflict, NotFound, RuleViolation, Text


def parameter_not_found(key: str) -> NotFound:
    return NotFound(
        "platform.parameter.not_found",
        Text(
            f"No parameter '{key}' is in effect for that date and scope; check the key or add a value for it.",
            f"参数“{key}”在该日期和范围内没有生效的值，请检查参数键或先为其设置值。",
        ),
    )


def parameter_key_taken(key: str) -> Conflict:
    return Conflict(
        "platform.parameter.key_taken",
        Text(
            f"The parameter '{key}' already exists; add a new version of it instead of creating it again.",
            f"参数“{key}”已存在，请为其新增版本，而不是重复创建。",
        ),
    )


def parameter_stale(key: str, current: int, seen: int) -> Conflict:
    return Conflict(
        "platform.parameter.stale_version",
        Text(
            f"The parameter '{key}' was changed meanwhile (now version {current}, you saw version {seen}); "
            "reload it and apply your change again.",
            f"参数“{key}”已被他人修改（当前版本 {current}，您看到的是版本 {seen}），请刷新后重新修改。",
        ),
    )


def dictionary_type_not_found(code: str) -> NotFound:
    return NotFound(
        "platform.dictionary.type_not_found",
        Text(f"There is no dictionary type '{code}'; pick one from the list.",
             f"数据字典类型“{code}”不存在，请从列表中选择。"),
    )


def dictionary_item_not_found(item: object) -> NotFound:
    return NotFound(
        "platform.dictionary.item_not_found",
        Text(f"There is no dictionary item {item}; reload the list.", f"数据字典项 {item} 不存在，请刷新列表。"),
    )


def dictionary_code_taken(what_en: str, what_zh: str, code: str) -> Conflict:
    return Conflict(
        "platform.dictionary.code_taken",
        Text(
            f"A {what_en} with the code '{code}' already exists; choose another code.",
            f"编码为“{code}”的{what_zh}已存在，请换一个编码。",
        ),
    )


def dictionary_item_in_use(code: str) -> RuleViolation:
    return RuleViolation(
        "platform.dictionary.item_has_children",
        Text(
            f"The item '{code}' has child items; remove or move them first, or deactivate it instead.",
            f"字典项“{code}”下还有子项，请先删除或移走子项，或改为停用。",
        ),
    )


def job_not_found(name: str) -> NotFound:
    return NotFound(
        "platform.job.not_found",
        Text(f"There is no scheduled job '{name}'; see `autofin jobs list`.",
             f"定时任务“{name}”不存在，请查看任务列表。"),
    )

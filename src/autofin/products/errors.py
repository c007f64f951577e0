"""Errors of the products domain, bilingual, with stable codes."""

from __future__ import annotations

from autofin.kernel.errors import Conflict, FieldError, NotFound, RuleViolation, Text


def product_not_found(code: str) -> NotFound:
    return NotFound("products.product.not_found", Text(f"Product {code} does not exist.", f"产品 {code} 不存在。"))


def version_not_found(code: str, number: int) -> NotFound:
    return NotFound(
        "products.version.not_found",
        Text(f"Product {code} has no version {number}.", f"产品 {code} 没有版本 {number}。"),
    )


def no_active_version(code: str) -> RuleViolation:
    return RuleViolation(
        "products.product.not_active",
        Text(
            f"Product {code} has no active version; activate one before quoting or lending.",
            f"产品 {code} 没有已生效的版本，请先发布版本再试算或放款。",
        ),
    )


def code_taken(code: str) -> Conflict:
    return Conflict(
        "products.product.code_taken",
        Text(f"Product code {code} is already used.", f"产品代码 {code} 已被使用。"),
        [FieldError("code", Text("Already used.", "已被使用。"))],
    )


def outside_product(field: str, code: str, en: str, zh: str) -> RuleViolation:
    text = Text(en, zh)
    return RuleViolation(f"products.quote.{code}", text, [FieldError(field, text)])


def ltv_cap_exists(use: str, powertrain: str, condition: str, on: object) -> Conflict:
    return Conflict(
        "products.ltv.duplicate",
        Text(
            f"The LTV cap table already has a row for {use} / {powertrain} / {condition} from {on}; "
            "choose another effective date.",
            f"LTV上限表中已有“{use} / {powertrain} / {condition}”自{on}起生效的记录，请选择其他生效日期。",
        ),
        [FieldError("effective_from", Text("A row with this date exists.", "该生效日期已有记录。"))],
    )


def not_draft(status: str) -> Conflict:
    return Conflict(
        "products.version.not_draft",
        Text(
            f"Only a draft version can be changed or activated; this one is {status}. Create a new version instead.",
            f"只有草稿版本可以修改或发布，该版本状态为{status}，请新建版本。",
        ),
    )

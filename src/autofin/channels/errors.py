"""Errors of payment instructions and bank callbacks (codes ``channels.*``)."""

from __future__ import annotations

from autofin.kernel.errors import AuthenticationFailed, Conflict, NotFound, RuleViolation, Text


def key_reused(key: str) -> Conflict:
    return Conflict(
        "channels.payment.key_reused",
        Text(
            f"The idempotency key '{key}' was already used for a different payment; use a new key for a new payment.",
            f"幂等键“{key}”已用于另一笔不同的付款，新付款请使用新的幂等键。",
        ),
    )


def not_found(instruction_id: object) -> NotFound:
    return NotFound(
        "channels.payment.not_found",
        Text(f"There is no payment instruction {instruction_id}.", f"付款指令 {instruction_id} 不存在。"),
    )


def bad_signature() -> AuthenticationFailed:
    return AuthenticationFailed(
        "channels.callback.bad_signature",
        Text(
            "The callback signature is missing or wrong; sign the raw body with HMAC-SHA256 in X-Bank-Signature.",
            "回调签名缺失或错误：请以 HMAC-SHA256 对原始报文签名并放入 X-Bank-Signature 头。",
        ),
    )


def bad_callback(detail: str) -> RuleViolation:
    return RuleViolation(
        "channels.callback.invalid",
        Text(f"The callback could not be understood: {detail}.", f"回调报文无法解析：{detail}。"),
    )


def amount_mismatch(expected: object, got: object) -> RuleViolation:
    return RuleViolation(
        "channels.callback.amount_mismatch",
        Text(
            f"The bank reports {got} but the instruction was for {expected}; the callback was not applied.",
            f"银行回报金额 {got} 与指令金额 {expected} 不符，回调未处理。",
        ),
    )


def refused(reason: str) -> RuleViolation:
    return RuleViolation(
        "channels.payment.refused",
        Text(f"The bank refused the instruction: {reason}.", f"银行拒绝了该付款指令：{reason}。"),
    )


class BankUnavailableError(RuleViolation):
    """The bank could not be reached; the instruction stays as it was and may be sent again safely."""

    status = 503
    title = Text("Bank unavailable", "银行通道不可用")


def bank_unavailable(detail: str) -> BankUnavailableError:
    return BankUnavailableError(
        "channels.bank.unavailable",
        Text(
            f"The bank could not be reached ({detail}); the instruction was kept, send it again later "
            "(it will not be paid twice).",
            f"银行通道暂不可用（{detail}），指令已保留，请稍后重新发送（不会重复付款）。",
        ),
    )

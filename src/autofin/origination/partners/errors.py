"""Errors of second-party intake, bilingual, with stable codes a partner's system can match on."""

from __future__ import annotations

from autofin.kernel.errors import (
    AuthenticationFailed,
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    RateLimited,
    Text,
    ValidationFailed,
)


def _refused(code: str, en: str, zh: str) -> AuthenticationFailed:
    return AuthenticationFailed(f"origination.partner.{code}", Text(en, zh))


def key_missing() -> AuthenticationFailed:
    return _refused(
        "key_missing",
        "Send your partner key in X-Partner-Key, with X-Timestamp, X-Nonce and X-Signature.",
        "请在 X-Partner-Key 请求头携带合作方密钥编号，并同时携带 X-Timestamp、X-Nonce 与 X-Signature。",
    )


def unknown_key() -> AuthenticationFailed:
    return _refused(
        "unknown_key",
        "The partner key in X-Partner-Key is not known; check it with the institution.",
        "X-Partner-Key 中的合作方密钥编号不存在，请与机构核对。",
    )


def bad_timestamp() -> AuthenticationFailed:
    return _refused(
        "bad_timestamp",
        "X-Timestamp must be the current time in unix seconds, e.g. 1764000000.",
        "X-Timestamp 须为当前时间的 Unix 秒数，例如 1764000000。",
    )


def stale_timestamp(window: int) -> AuthenticationFailed:
    return _refused(
        "stale_timestamp",
        f"X-Timestamp is more than {window} seconds away from our clock; sign the request again with the "
        "current time (and check your server's clock).",
        f"X-Timestamp 与本系统时间相差超过 {window} 秒，请使用当前时间重新签名（并检查服务器时钟）。",
    )


def bad_nonce() -> AuthenticationFailed:
    return _refused(
        "bad_nonce",
        "X-Nonce must be 8 to 64 letters, digits, '-' or '_', new for every request (e.g. a UUID).",
        "X-Nonce 须为 8 至 64 位字母、数字、“-”或“_”，且每次请求都不同（例如 UUID）。",
    )


def bad_signature() -> AuthenticationFailed:
    return _refused(
        "bad_signature",
        "X-Signature does not match: sign hex(HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\n"
        "hex(SHA-256(body)))) with the secret issued to you.",
        "X-Signature 验签失败：请用分配给您的密钥计算 hex(HMAC-SHA256(密钥, METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\n"
        "hex(SHA-256(请求体))))。",
    )


def nonce_reused() -> AuthenticationFailed:
    return _refused(
        "nonce_reused",
        "This X-Nonce was already used; every request needs a new nonce. To retry a create safely, send the "
        "same Idempotency-Key with a new nonce and signature.",
        "该 X-Nonce 已被使用，每次请求都须使用新的随机数。"
        "如需安全重试，请使用相同的 Idempotency-Key 并重新生成随机数和签名。",
    )


def partner_suspended(code: str) -> PermissionDenied:
    return PermissionDenied(
        "origination.partner.suspended",
        Text(
            f"Partner {code} is suspended; ask the institution to activate it again.",
            f"合作方 {code} 已停用，请联系机构重新启用。",
        ),
    )


def ip_not_allowed(ip: str | None) -> PermissionDenied:
    return PermissionDenied(
        "origination.partner.ip_not_allowed",
        Text(
            f"Requests from {ip or 'this address'} are not allowed for this partner; ask the institution to add "
            "the address to your allow list.",
            f"该合作方不允许来自 {ip or '此地址'} 的请求，请联系机构将该地址加入白名单。",
        ),
    )


def rate_limited(limit: int, retry_after: int) -> RateLimited:
    return RateLimited(
        "origination.partner.rate_limited",
        Text(
            f"More than {limit} requests a minute; retry after {retry_after} s (see Retry-After).",
            f"请求超过每分钟 {limit} 次的限额，请在 {retry_after} 秒后重试（见 Retry-After）。",
        ),
        retry_after=retry_after,
    )


def mapping_failed(errors: list[FieldError]) -> ValidationFailed:
    fields = ", ".join(e.field for e in errors)
    return ValidationFailed(
        "origination.partner.mapping",
        Text(
            f"These codes are not agreed with the institution: {fields}. Use one of the codes listed per field.",
            f"以下字段的代码未与机构约定：{fields}。请使用各字段列出的代码之一。",
        ),
        errors,
    )


def payload_invalid(errors: list[FieldError]) -> ValidationFailed:
    fields = ", ".join(sorted({e.field for e in errors}))
    return ValidationFailed(
        "origination.partner.payload_invalid",
        Text(f"Check these fields and send again: {fields}.", f"请检查以下字段后重新提交：{fields}。"),
        errors,
    )


def duplicate_order(order_no: str, application_id: int) -> Conflict:
    return Conflict(
        "origination.partner.duplicate_order",
        Text(
            f"Order {order_no} was already submitted as application {application_id}; query its status instead "
            "(a retry of the same request should reuse its Idempotency-Key).",
            f"进件单号 {order_no} 已提交为申请 {application_id}，请查询其状态"
            "（重试同一请求请使用相同的 Idempotency-Key）。",
        ),
        [FieldError("order_no", Text("Already submitted.", "已提交过。"))],
    )


def partner_not_found(partner_id: object) -> NotFound:
    return NotFound(
        "origination.partner.not_found",
        Text(f"Partner {partner_id} does not exist.", f"合作方 {partner_id} 不存在。"),
    )


def partner_code_taken(code: str) -> Conflict:
    return Conflict(
        "origination.partner.code_taken",
        Text(
            f"A partner with code {code} already exists; choose another code.",
            f"合作方代码 {code} 已存在，请换一个。",
        ),
        [FieldError("code", Text("Already used.", "已被使用。"))],
    )


def application_not_found(reference: object) -> NotFound:
    return NotFound(
        "origination.partner.application_not_found",
        Text(
            f"No application {reference} was submitted by you.",
            f"未找到贵方提交的申请 {reference}。",
        ),
    )


def delivery_not_found(delivery_id: object) -> NotFound:
    return NotFound(
        "origination.partner.delivery_not_found",
        Text(f"Callback delivery {delivery_id} does not exist.", f"回调推送记录 {delivery_id} 不存在。"),
    )


def idempotency_key_reused() -> ValidationFailed:
    return ValidationFailed(
        "idempotency.key_reused",
        Text(
            "This Idempotency-Key was already used for a different request; use a new key.",
            "该 Idempotency-Key 已用于另一个不同的请求，请使用新的键。",
        ),
    )


def idempotency_in_progress() -> Conflict:
    return Conflict(
        "idempotency.in_progress",
        Text(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。",
        ),
    )

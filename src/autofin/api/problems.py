"""Errors mapped once to RFC 9457 problem+json, in the caller's language. No stack trace reaches a client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from autofin.kernel.errors import DomainError, RateLimited, Text

log = logging.getLogger("autofin.api")
PROBLEM_JSON = "application/problem+json"


def language_of(request: Request) -> str:
    """zh-CN unless the client prefers English (Chinese first, English second)."""
    header = request.headers.get("accept-language", "")
    first = header.split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh-CN"


def problem(
    request: Request, status: int, code: str, title: Text, detail: Text, errors: list[dict[str, str]] | None = None
) -> JSONResponse:
    language = language_of(request)
    body: dict[str, Any] = {
        "type": f"https://autofin.local/problems/{code}",
        "status": status,
        "title": title.in_language(language),
        "detail": detail.in_language(language),
        "code": code,
        "errors": errors or [],
        "instance": request.url.path,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


_PYDANTIC_ZH = {
    "missing": "必填字段缺失",
    "extra_forbidden": "不允许的字段",
    "string_too_long": "字符串过长",
    "string_too_short": "字符串过短",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "string_type": "应为字符串",
    "bool_parsing": "应为布尔值",
    "decimal_parsing": "应为数字字符串",
    "string_pattern_mismatch": "格式不正确",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "value_error": "取值无效",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "json_invalid": "JSON 格式错误",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
}


def _field_errors(exc: RequestValidationError, language: str) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
        english = str(error.get("msg", "invalid value"))  # pydantic has already filled in its context
        chinese = _PYDANTIC_ZH.get(str(error.get("type")), "取值无效") + f"（{english}）"
        errors.append({"field": ".".join(location) or "body", "message": chinese if language == "zh-CN" else english})
    return errors


def problem_of(request: Request, exc: DomainError) -> JSONResponse:
    """The problem+json answer to a refusal, with its field errors; a rate limit adds ``Retry-After``."""
    language = language_of(request)
    errors = [{"field": e.field, "message": e.message.in_language(language)} for e in exc.errors]
    response = problem(request, exc.status, exc.code, exc.title, exc.message, errors)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return problem_of(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc, language_of(request))
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem(
            request,
            422,
            "validation.invalid",
            Text("Invalid input", "输入无效"),
            Text(f"Check these fields and send again: {fields}.", f"请检查以下字段后重新提交：{fields}。"),
            errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {
            404: Text("Not found", "未找到"),
            405: Text("Method not allowed", "不支持的请求方法"),
            401: Text("Authentication required", "需要登录"),
        }
        title = titles.get(exc.status_code, Text("Request refused", "请求被拒绝"))
        detail = Text(str(exc.detail), str(exc.detail)) if isinstance(exc.detail, str) else title
        response = problem(request, exc.status_code, f"http.{exc.status_code}", title, detail)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem(
            request,
            500,
            "server.error",
            Text("Internal error", "系统内部错误"),
            Text(
                "Something went wrong on our side; nothing was changed. Quote the request id to support.",
                "系统内部错误，本次操作未生效。请将请求编号提供给技术支持。",
            ),
        )

"""Errors of contracts and signing sessions (codes ``origination.contract.*`` / ``origination.signing.*``)."""

from __future__ import annotations

from autofin.kernel.errors import Conflict, NotFound, RuleViolation, Text


def session_not_found(session_id: int) -> NotFound:
    return NotFound(
        "origination.signing.not_found",
        Text(f"There is no signing session {session_id}; check the number.",
             f"面签会话 {session_id} 不存在，请核对编号。"),
    )


def wrong_state(step_en: str, step_zh: str, state: str, needed: str) -> RuleViolation:
    return RuleViolation(
        "origination.signing.wrong_state",
        Text(
            f"Cannot {step_en} while the signing session is '{state}'; it must be '{needed}' first.",
            f"面签会话当前状态为“{state}”，不能{step_zh}；须先处于“{needed}”状态。",
        ),
    )


def session_open(contract_no: str, session_id: int) -> Conflict:
    return Conflict(
        "origination.signing.session_open",
        Text(
            f"Contract {contract_no} already has an open signing session ({session_id}); finish or cancel it first.",
            f"合同 {contract_no} 已有进行中的面签会话（{session_id}），请先完成或取消。",
        ),
    )


def file_missing(sha256: str) -> NotFound:
    return NotFound(
        "origination.contract.file_missing",
        Text(
            f"The stored file {sha256[:12]}… is missing or damaged; restore it from backup.",
            f"存储的文件 {sha256[:12]}… 缺失或已损坏，请从备份恢复。",
        ),
    )

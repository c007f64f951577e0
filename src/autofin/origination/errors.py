"""Errors of origination, bilingual, with stable codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autofin.kernel.errors import Conflict, FieldError, NotFound, PermissionDenied, RuleViolation, Text, invalid


def application_not_found(application_id: object) -> NotFound:
    return NotFound(
        "origination.application.not_found",
        Text(
            f"Application {application_id} does not exist or is outside your data scope.",
            f"贷款申请 {application_id} 不存在或不在您的数据权限范围内。",
        ),
    )


def wrong_status(status: str, wanted: str, action_en: str, action_zh: str) -> Conflict:
    return Conflict(
        "origination.application.wrong_status",
        Text(
            f"The application is {status}; you can {action_en} only when it is {wanted}.",
            f"申请当前状态为 {status}，只有在 {wanted} 状态下才能{action_zh}。",
        ),
    )


@dataclass
class ApplicantBlacklisted(RuleViolation):
    """The applicant, a phone or the vehicle is on the blacklist: nothing changes but the alert."""

    hits: list[Any] = field(default_factory=list)
    application_id: int = 0
    number: str = ""


def applicant_blacklisted(hits: list[Any], application_id: int, number: str) -> ApplicantBlacklisted:
    kinds = sorted({hit.kind for hit in hits})
    text = Text(
        f"The application is refused: {', '.join(kinds)} of this application is on the blacklist. "
        "Nothing was submitted; risk has been alerted.",
        f"申请被拒绝：本申请的 {'、'.join(kinds)} 命中黑名单，申请未提交，已通知风控。",
    )
    return ApplicantBlacklisted(
        "origination.applicant.blacklisted",
        text,
        [FieldError(kind, Text("On the blacklist.", "命中黑名单。")) for kind in kinds],
        hits=hits,
        application_id=application_id,
        number=number,
    )


def separation_of_duties(en: str, zh: str) -> PermissionDenied:
    return PermissionDenied("origination.review.separation_of_duties", Text(en, zh))


def submitter_cannot_review() -> PermissionDenied:
    return separation_of_duties(
        "You entered or submitted this application, so you cannot review it; another reviewer must.",
        "您录入或提交了该申请，不能审批本申请，请由其他审核员审批。",
    )


def one_stage_per_person(stage: str) -> PermissionDenied:
    return separation_of_duties(
        f"You already acted on the {stage} stage of this application; one person acts on one stage only.",
        f"您已在本申请的“{stage}”环节操作过，同一人只能参与一个审批环节。",
    )


def task_not_found(task_id: object) -> NotFound:
    return NotFound(
        "origination.task.not_found",
        Text(f"Review task {task_id} does not exist or is closed.", f"审批任务 {task_id} 不存在或已关闭。"),
    )


def task_taken(assignee: object) -> Conflict:
    return Conflict(
        "origination.task.taken",
        Text(
            f"This task is assigned to another reviewer ({assignee}); reload your queue.",
            f"该任务已分配给其他审核员（{assignee}），请刷新任务列表。",
        ),
    )


def task_not_yours() -> Conflict:
    return Conflict(
        "origination.task.not_yours",
        Text("You can release only a task assigned to you.", "只能释放分配给您本人的任务。"),
    )


def no_open_task() -> Conflict:
    return Conflict(
        "origination.review.no_open_task",
        Text(
            "This application has no open review task; reload it to see its current state.",
            "该申请当前没有待审批任务，请刷新查看最新状态。",
        ),
    )


def use_committee_vote() -> Conflict:
    return Conflict(
        "origination.review.committee_stage",
        Text(
            "The application is at the credit committee: members vote (POST …/committee/votes) instead.",
            "该申请处于贷审会环节，请由委员投票（POST …/committee/votes）。",
        ),
    )


def not_committee_member() -> PermissionDenied:
    return PermissionDenied(
        "origination.committee.not_member",
        Text("Only members of this credit committee may vote.", "只有本次贷审会委员可以投票。"),
    )


def already_voted() -> Conflict:
    return Conflict(
        "origination.committee.already_voted",
        Text("You have already voted on this application.", "您已对该申请投过票。"),
    )


def no_chain(amount: object, product: str) -> RuleViolation:
    return RuleViolation(
        "origination.chain.none",
        Text(
            f"No active review chain covers product {product} and amount {amount}; ask an administrator to "
            "configure one.",
            f"没有适用于产品 {product}、金额 {amount} 的审批链，请联系管理员配置。",
        ),
    )


def reason_code_required(decision: str) -> Any:
    return invalid(
        "reason_code",
        f"A {decision} needs a reason code from the list.",
        "拒绝或退回必须选择原因代码。",
        "origination.review.reason_required",
    )


def rule_code_taken(code: str) -> Conflict:
    return Conflict(
        "origination.rule.code_taken",
        Text(f"A rule with code {code} already exists.", f"规则代码 {code} 已存在。"),
        [FieldError("code", Text("Already used.", "已被使用。"))],
    )


def rule_not_found(rule_id: object) -> NotFound:
    return NotFound("origination.rule.not_found", Text(f"Rule {rule_id} does not exist.", f"规则 {rule_id} 不存在。"))


def invalid_expression(message: str) -> Any:
    return invalid(
        "expression",
        f"The expression is not valid: {message}. Use the documented context, e.g. "
        "'applicant.age > 60 and term > 36'.",
        f"规则表达式无效：{message}。请使用文档列出的变量，例如“applicant.age > 60 and term > 36”。",
        "origination.rule.invalid_expression",
    )


# ---- disbursement (放款) and credit lines (授信) -------------------------------------------------------------------


def disbursement_not_found(disbursement_id: object) -> NotFound:
    return NotFound(
        "origination.disbursement.not_found",
        Text(
            f"Disbursement {disbursement_id} does not exist or is outside your data scope.",
            f"放款记录 {disbursement_id} 不存在或不在您的数据权限范围内。",
        ),
    )


def disbursement_separation_of_duties() -> PermissionDenied:
    return PermissionDenied(
        "origination.disbursement.separation_of_duties",
        Text(
            "You registered this disbursement, so you cannot review it; another person must (双人复核).",
            "您登记了该笔放款，不能复核本笔放款，请由其他人员复核（双人复核）。",
        ),
    )


def disbursement_wrong_status(status: str, wanted: str, action_en: str, action_zh: str) -> Conflict:
    return Conflict(
        "origination.disbursement.wrong_status",
        Text(
            f"The disbursement is {status}; you can {action_en} only when it is {wanted}. Reload it.",
            f"该笔放款当前状态为 {status}，只有在 {wanted} 状态下才能{action_zh}，请刷新后查看。",
        ),
    )


def disbursement_exists(number: str, status: str) -> Conflict:
    return Conflict(
        "origination.disbursement.exists",
        Text(
            f"This application already has disbursement {number} ({status}); an application is paid out once.",
            f"该申请已有放款记录 {number}（{status}），同一申请只能放款一次。",
        ),
    )


def conditions_not_met(missing: list[tuple[str, str, str]]) -> RuleViolation:
    return RuleViolation(
        "origination.disbursement.conditions_not_met",
        Text(
            "The disbursement conditions are not all met: " + "; ".join(en for _c, en, _z in missing) + ".",
            "放款条件未全部满足：" + "；".join(zh for _c, _e, zh in missing) + "。",
        ),
        [FieldError(code, Text(en, zh)) for code, en, zh in missing],
    )


def idempotency_key_reused() -> Conflict:
    return Conflict(
        "origination.disbursement.key_reused",
        Text(
            "This Idempotency-Key was already used to register another disbursement; use a new key.",
            "该幂等键已用于登记另一笔放款，请使用新的幂等键。",
        ),
    )


def credit_line_not_found(credit_line_id: object) -> NotFound:
    return NotFound(
        "origination.credit_line.not_found",
        Text(
            f"Credit line {credit_line_id} does not exist or is outside your data scope.",
            f"授信额度 {credit_line_id} 不存在或不在您的数据权限范围内。",
        ),
    )


def credit_line_unavailable(number: str, status: str, valid_until: object) -> RuleViolation:
    return RuleViolation(
        "origination.credit_line.unavailable",
        Text(
            f"Credit line {number} cannot be drawn on: it is {status}, valid until {valid_until}.",
            f"授信额度 {number} 当前不可用信：状态为 {status}，有效期至 {valid_until}。",
        ),
    )


def credit_line_exceeded(number: str, remaining: object, asked: object) -> RuleViolation:
    return RuleViolation(
        "origination.credit_line.limit_exceeded",
        Text(
            f"The drawdown of {asked} exceeds the {remaining} remaining on credit line {number}; ask for at most "
            f"{remaining}.",
            f"用信金额 {asked} 超过授信额度 {number} 的剩余额度 {remaining}，请不超过 {remaining}。",
        ),
        [FieldError("amount", Text(f"At most {remaining}.", f"不能超过 {remaining}。"))],
    )

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

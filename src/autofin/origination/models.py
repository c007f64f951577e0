"""Tables of origination: applications with their checks and timeline, intake rules, review chains, tasks, votes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import BigId, Money, Rate, UTCDateTime
from autofin.kernel.clock import utcnow


class ApplicationStatus(StrEnum):
    DRAFT = "draft"  # 草稿
    SUBMITTED = "submitted"  # 已提交 (checks ran, waiting for dispatch)
    IN_REVIEW = "in_review"  # 审批中
    APPROVED = "approved"  # 已批准
    REJECTED = "rejected"  # 已拒绝
    RETURNED = "returned"  # 退回补件
    WITHDRAWN = "withdrawn"  # 已撤回
    EXPIRED = "expired"  # 批复已失效
    CONTRACTED = "contracted"  # 已签约 (contracts)
    DISBURSED = "disbursed"  # 已放款 (disbursement)


IN_FLIGHT = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.IN_REVIEW,
    ApplicationStatus.RETURNED,
    ApplicationStatus.APPROVED,
    ApplicationStatus.CONTRACTED,
)
EDITABLE = (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)


class Stage(StrEnum):
    FIRST_REVIEW = "first_review"  # 初审
    SECOND_REVIEW = "second_review"  # 复审
    FINAL_REVIEW = "final_review"  # 终审
    COMMITTEE = "committee"  # 贷审会


class Strategy(StrEnum):
    ROUND_ROBIN = "round_robin"  # 轮询
    LEAST_LOADED = "least_loaded"  # 按负载
    BY_DEPARTMENT = "by_department"  # 按部门 (least loaded within the stage's department)
    BY_PRODUCT = "by_product"  # 按产品技能 (least loaded among reviewers skilled in the product)
    BY_REGION = "by_region"  # 按区域 (least loaded among reviewers of the application's branch region)


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Application(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A loan application (贷款申请)."""

    __tablename__ = "origination_applications"

    number: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)  # AP-20261124-000123
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=ApplicationStatus.DRAFT, index=True)
    applicant_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    applicant_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    co_borrower_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    guarantor_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    vehicle_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    vin: Mapped[str] = mapped_column(String(17), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(32), nullable=False, default="console")
    department_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)  # dealer / branch
    owner_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)  # who entered it
    product_code: Mapped[str] = mapped_column(String(32), nullable=False)
    product_version_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    product_version: Mapped[int] = mapped_column(Integer, nullable=False)
    price: Mapped[Decimal] = mapped_column(Money, nullable=False)
    down_payment: Mapped[Decimal] = mapped_column(Money, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    term: Mapped[int] = mapped_column(Integer, nullable=False)
    method: Mapped[str] = mapped_column(String(24), nullable=False)
    rate: Mapped[Decimal] = mapped_column(Rate, nullable=False)  # annual percent requested
    balloon: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    purpose: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    required_documents: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    document_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    risk_grade: Mapped[str | None] = mapped_column(String(16), nullable=True)
    submission_round: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    check_outcome: Mapped[str | None] = mapped_column(String(8), nullable=True)  # worst outcome of the last round
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submitted_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    chain_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    current_stage: Mapped[str | None] = mapped_column(String(24), nullable=True)
    proposal: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # terms a reviewer proposed
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    approved_rate: Mapped[Decimal | None] = mapped_column(Rate, nullable=True)
    approved_term: Mapped[int | None] = mapped_column(Integer, nullable=True)
    approved_method: Mapped[str | None] = mapped_column(String(24), nullable=True)
    conditions: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    approval_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class ApplicationCheck(IdMixin, Base):
    """One check's outcome at one submission (pass / refer / decline) with its reason."""

    __tablename__ = "origination_checks"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("origination_applications.id", ondelete="CASCADE"), nullable=False, index=True
    )
    round: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    outcome: Mapped[str] = mapped_column(String(8), nullable=False)
    reason_en: Mapped[str] = mapped_column(String(500), nullable=False)
    reason_zh: Mapped[str] = mapped_column(String(500), nullable=False)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class TimelineEntry(IdMixin, Base):
    """What happened to an application: stage, actor, time, outcome (进度)."""

    __tablename__ = "origination_timeline"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("origination_applications.id", ondelete="CASCADE"), nullable=False, index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    stage: Mapped[str] = mapped_column(String(24), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(64), nullable=False)
    reason_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    attachment_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)  # documents attached


class IntakeRule(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A configurable intake rule (进件规则): when the expression matches, the outcome applies."""

    __tablename__ = "origination_rules"

    code: Mapped[str] = mapped_column(String(48), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    expression: Mapped[str] = mapped_column(String(1000), nullable=False)
    outcome: Mapped[str] = mapped_column(String(8), nullable=False)  # refer / decline
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")


class ReviewChain(IdMixin, TimestampMixin, VersionedMixin, Base):
    """Which stages review an application, chosen by product, amount band (min exclusive, max inclusive), grade."""

    __tablename__ = "origination_chains"

    code: Mapped[str] = mapped_column(String(48), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    product_code: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None: any product
    amount_above: Mapped[Decimal | None] = mapped_column(Money, nullable=True)  # exclusive lower bound
    amount_up_to: Mapped[Decimal | None] = mapped_column(Money, nullable=True)  # inclusive upper bound
    risk_grades: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # empty: any grade
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class ChainStage(IdMixin, Base):
    __tablename__ = "origination_chain_stages"

    chain_id: Mapped[int] = mapped_column(
        ForeignKey("origination_chains.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    stage: Mapped[str] = mapped_column(String(24), nullable=False)
    strategy: Mapped[str] = mapped_column(String(24), nullable=False, default=Strategy.LEAST_LOADED)
    department_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sla_hours: Mapped[int] = mapped_column(Integer, nullable=False, default=24)
    committee_member_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    quorum: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    approval_ratio: Mapped[Decimal] = mapped_column(Rate, nullable=False, default=Decimal("0.5"))

    __table_args__ = (UniqueConstraint("chain_id", "sequence"),)


class ReviewTask(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One stage of one application's review (审批任务): queued, assigned or claimed, then done."""

    __tablename__ = "origination_tasks"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("origination_applications.id", ondelete="CASCADE"), nullable=False, index=True
    )
    chain_stage_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    round: Mapped[int] = mapped_column(Integer, nullable=False)
    stage: Mapped[str] = mapped_column(String(24), nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=TaskStatus.OPEN)
    assignee_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(12), nullable=True)
    reason_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_origination_tasks_queue", "status", "stage", "assignee_id"),)

    @property
    def overdue(self) -> bool:
        return self.status == TaskStatus.OPEN and self.due_at < utcnow()


class CommitteeVote(IdMixin, Base):
    __tablename__ = "origination_committee_votes"

    task_id: Mapped[int] = mapped_column(ForeignKey("origination_tasks.id", ondelete="CASCADE"), nullable=False)
    application_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    member_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    member_name: Mapped[str] = mapped_column(String(64), nullable=False)
    vote: Mapped[str] = mapped_column(String(8), nullable=False)  # approve / reject
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("task_id", "member_id"),)


class ReviewerSkill(IdMixin, Base):
    """A reviewer handles a product (for the ``by_product`` assignment strategy)."""

    __tablename__ = "origination_reviewer_skills"

    user_id: Mapped[int] = mapped_column(BigId, nullable=False)
    product_code: Mapped[str] = mapped_column(String(32), nullable=False)

    __table_args__ = (UniqueConstraint("user_id", "product_code"),)


# The contract and signing tables live with their code in ``origination/contracts``; loading origination's models
# registers them too.
from autofin.origination.contracts.models import *  # noqa: E402, F403
from autofin.origination.disbursing.models import *  # noqa: E402, F403
from autofin.origination.partners.models import *  # noqa: E402, F403

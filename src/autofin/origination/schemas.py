"""Shapes of origination's API: commands in (strict), views out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from autofin.schemas import MoneyStr, PublicModel, StrictModel

Method = Literal["annuity", "equal_principal", "flat", "interest_only", "balloon"]
Code = Field(min_length=2, max_length=48, pattern=r"^[a-z][a-z0-9_.\-]*$")


class ApplicationCreate(StrictModel):
    applicant_id: int = Field(ge=1)
    co_borrower_id: int | None = Field(None, ge=1)
    guarantor_ids: list[int] = Field(default_factory=list, max_length=5)
    vehicle_id: int = Field(ge=1)
    channel: str = Field("console", min_length=2, max_length=32, pattern=r"^[a-z][a-z0-9_\-]*$")
    department_id: int | None = Field(None, ge=1)  # the dealer / branch; default: the actor's department
    product_code: str = Field(min_length=1, max_length=32)
    price: MoneyStr
    down_payment: MoneyStr
    amount: MoneyStr | None = None  # default: price − down payment
    term: int = Field(ge=1, le=120)
    method: Method = "annuity"
    rate: Decimal | None = Field(None, ge=0, le=100)  # annual percent; default: the product's default
    balloon: MoneyStr | None = None
    purpose: str = Field("", max_length=200)
    document_ids: list[int] = Field(default_factory=list, max_length=100)


class ApplicationUpdate(StrictModel):
    """Only the fields sent change. ``version`` is the one the client saw (409 when stale)."""

    version: int
    co_borrower_id: int | None = Field(None, ge=1)
    guarantor_ids: list[int] | None = Field(None, max_length=5)
    vehicle_id: int | None = Field(None, ge=1)
    price: MoneyStr | None = None
    down_payment: MoneyStr | None = None
    amount: MoneyStr | None = None
    term: int | None = Field(None, ge=1, le=120)
    method: Method | None = None
    rate: Decimal | None = Field(None, ge=0, le=100)
    balloon: MoneyStr | None = None
    purpose: str | None = Field(None, max_length=200)
    document_ids: list[int] | None = Field(None, max_length=100)


class VersionBody(StrictModel):
    version: int | None = None


class ReviewRequest(StrictModel):
    decision: Literal["approve", "reject", "return"]
    reason_code: str | None = Field(None, max_length=64)
    comment: str | None = Field(None, max_length=2000)
    task_version: int | None = None  # the task version the reviewer saw (409 when someone acted meanwhile)
    approved_amount: MoneyStr | None = None
    approved_rate: Decimal | None = Field(None, ge=0, le=100)
    approved_term: int | None = Field(None, ge=1, le=120)
    approved_method: Method | None = None
    conditions: list[str] = Field(default_factory=list, max_length=20)
    attachment_ids: list[int] = Field(default_factory=list, max_length=10)  # uploaded documents backing the decision


class VoteRequest(StrictModel):
    vote: Literal["approve", "reject"]
    comment: str | None = Field(None, max_length=2000)
    attachment_ids: list[int] = Field(default_factory=list, max_length=10)


class ReassignRequest(StrictModel):
    assignee_id: int = Field(ge=1)
    task_version: int | None = None


class TaskVersion(StrictModel):
    task_version: int | None = None


class RuleCreate(StrictModel):
    code: str = Code
    name: str = Field(min_length=1, max_length=100)
    expression: str = Field(min_length=1, max_length=1000)
    outcome: Literal["refer", "decline"]
    active: bool = True
    description: str = Field("", max_length=500)


class RuleUpdate(StrictModel):
    version: int
    name: str | None = Field(None, min_length=1, max_length=100)
    expression: str | None = Field(None, min_length=1, max_length=1000)
    outcome: Literal["refer", "decline"] | None = None
    active: bool | None = None
    description: str | None = Field(None, max_length=500)


class StageSpec(StrictModel):
    stage: Literal["first_review", "second_review", "final_review", "committee"]
    strategy: Literal["round_robin", "least_loaded", "by_department", "by_product", "by_region"] = "least_loaded"
    department_id: int | None = None
    sla_hours: int = Field(24, ge=1, le=24 * 30)
    committee_member_ids: list[int] = Field(default_factory=list, max_length=30)
    quorum: int = Field(0, ge=0, le=30)
    approval_ratio: Decimal = Field(Decimal("0.5"), ge=0, lt=1)


class ChainCreate(StrictModel):
    code: str = Code
    name: str = Field(min_length=1, max_length=100)
    product_code: str | None = Field(None, max_length=32)
    amount_above: MoneyStr | None = None
    amount_up_to: MoneyStr | None = None
    risk_grades: list[str] = Field(default_factory=list)
    priority: int = 0
    stages: list[StageSpec] = Field(min_length=1, max_length=6)


# ---- views -----------------------------------------------------------------------------------------------------


class CheckPublic(PublicModel):
    round: int
    name: str
    outcome: str
    reason_en: str
    reason_zh: str
    detail: dict[str, object] | None = None


class TimelinePublic(PublicModel):
    at: datetime
    stage: str
    action: str
    outcome: str | None
    actor_id: int | None
    actor_name: str
    reason_code: str | None
    comment: str | None
    attachment_ids: list[int] = Field(default_factory=list)


class ApplicationPublic(PublicModel):
    id: int
    number: str | None
    status: str
    applicant_id: int
    applicant_name: str
    co_borrower_id: int | None
    guarantor_ids: list[int]
    vehicle_id: int
    vin: str
    channel: str
    department_id: int | None
    owner_id: int | None
    product_code: str
    product_version: int
    price: MoneyStr
    down_payment: MoneyStr
    amount: MoneyStr
    term: int
    method: str
    rate: Decimal
    balloon: MoneyStr
    purpose: str
    required_documents: list[str]
    document_ids: list[int]
    risk_grade: str | None
    check_outcome: str | None
    submitted_at: datetime | None
    current_stage: str | None
    decided_at: datetime | None
    decision_reason: str | None
    approved_amount: MoneyStr | None
    approved_rate: Decimal | None
    approved_term: int | None
    approved_method: str | None
    conditions: list[str]
    approval_expires_at: datetime | None
    version: int
    created_at: datetime


class ApplicationDetail(ApplicationPublic):
    checks: list[CheckPublic] = Field(default_factory=list)
    timeline: list[TimelinePublic] = Field(default_factory=list)
    tasks: list[TaskPublic] = Field(default_factory=list)


class TaskPublic(PublicModel):
    id: int
    application_id: int
    stage: str
    sequence: int
    round: int
    status: str
    assignee_id: int | None
    assigned_at: datetime | None
    due_at: datetime
    overdue: bool
    completed_by: int | None
    outcome: str | None
    version: int


class QueueItem(TaskPublic):
    application_number: str | None = None
    applicant_name: str = ""
    amount: MoneyStr | None = None
    product_code: str = ""
    mine: bool = False


class SubmitResult(BaseModel):
    application: ApplicationPublic
    checks: list[CheckPublic]
    outcome: str


class VotePublic(PublicModel):
    member_id: int
    member_name: str
    vote: str
    comment: str | None
    voted_at: datetime


class VoteResult(BaseModel):
    application: ApplicationPublic
    votes: list[VotePublic]
    decided: bool


class RulePublic(PublicModel):
    id: int
    code: str
    name: str
    expression: str
    outcome: str
    active: bool
    description: str
    version: int


class StagePublic(PublicModel):
    sequence: int
    stage: str
    strategy: str
    department_id: int | None
    sla_hours: int
    committee_member_ids: list[int]
    quorum: int
    approval_ratio: Decimal


class ChainPublic(PublicModel):
    id: int
    code: str
    name: str
    product_code: str | None
    amount_above: MoneyStr | None
    amount_up_to: MoneyStr | None
    risk_grades: list[str]
    priority: int
    active: bool
    stages: list[StagePublic] = Field(default_factory=list)


class QuoteLine(BaseModel):
    number: int
    due_date: str
    principal: MoneyStr
    interest: MoneyStr
    fees: MoneyStr
    total: MoneyStr
    balance: MoneyStr


class ApplicationQuote(BaseModel):
    principal: MoneyStr
    annual_rate: Decimal
    term: int
    method: str
    total_interest: MoneyStr
    total_fees: MoneyStr
    total_repayment: MoneyStr
    annualized_rate_simple: Decimal
    annualized_rate_compound: Decimal
    schedule: list[QuoteLine]


ApplicationDetail.model_rebuild()

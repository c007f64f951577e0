"""HTTP routes of origination: applications, submission, my tasks, review, committee votes, rules and chains."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from autofin.api.deps import ActorDep, PageDep, UowDep, get_app
from autofin.origination import borrower_status, service
from autofin.origination.errors import ApplicantBlacklisted
from autofin.origination.schemas import (
    ApplicationCreate,
    ApplicationDetail,
    ApplicationPublic,
    ApplicationQuote,
    ApplicationUpdate,
    ChainCreate,
    ChainPublic,
    CheckPublic,
    QueueItem,
    ReassignRequest,
    ReviewRequest,
    RuleCreate,
    RulePublic,
    RuleUpdate,
    StagePublic,
    SubmitResult,
    TaskPublic,
    TaskVersion,
    TimelinePublic,
    VersionBody,
    VotePublic,
    VoteRequest,
    VoteResult,
)
from autofin.schemas import ListResponse

router = APIRouter(prefix="/api/v1", tags=["origination"])
PathId = Annotated[int, Path(ge=1, le=2**62)]


def _public(application: object) -> ApplicationPublic:
    return ApplicationPublic.model_validate(application)


@router.post("/applications", status_code=201, response_model=ApplicationPublic)
def create_application(body: ApplicationCreate, uow: UowDep, actor: ActorDep) -> ApplicationPublic:
    application = service.create_application(uow, actor, body)
    uow.commit()
    return _public(application)


@router.get("/applications", response_model=ListResponse[ApplicationPublic])
def list_applications(
    uow: UowDep,
    actor: ActorDep,
    paging: PageDep,
    status: Annotated[str | None, Query(max_length=16)] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    product_code: Annotated[str | None, Query(max_length=32)] = None,
    applicant_id: Annotated[int | None, Query(ge=1)] = None,
    department_id: Annotated[int | None, Query(ge=1)] = None,
) -> ListResponse[ApplicationPublic]:
    rows, total = service.list_applications(
        uow,
        actor,
        status=status,
        channel=channel,
        product_code=product_code,
        applicant_id=applicant_id,
        department_id=department_id,
        q=paging.q,
        page=paging.page,
        size=paging.size,
    )
    return ListResponse[ApplicationPublic](data=[_public(r) for r in rows], count=total)


def _detail(detail: service.ApplicationDetail) -> ApplicationDetail:
    view = ApplicationDetail.model_validate(detail.application)
    view.checks = [CheckPublic.model_validate(c) for c in detail.checks]
    view.timeline = [TimelinePublic.model_validate(t) for t in detail.timeline]
    view.tasks = [TaskPublic.model_validate(t) for t in detail.tasks]
    return view


@router.get("/applications/{application_id}", response_model=ApplicationDetail)
def get_application(application_id: PathId, uow: UowDep, actor: ActorDep) -> ApplicationDetail:
    return _detail(service.application_detail(uow, actor, application_id))


@router.patch("/applications/{application_id}", response_model=ApplicationPublic)
def update_application(
    application_id: PathId, body: ApplicationUpdate, uow: UowDep, actor: ActorDep
) -> ApplicationPublic:
    application = service.update_application(uow, actor, application_id, body)
    uow.commit()
    return _public(application)


@router.get("/applications/{application_id}/quote", response_model=ApplicationQuote)
def quote_application(application_id: PathId, uow: UowDep, actor: ActorDep) -> ApplicationQuote:
    quote = service.quote_application(uow, actor, application_id)
    return ApplicationQuote.model_validate(quote, from_attributes=True)


@router.post("/applications/{application_id}/submit", response_model=SubmitResult)
def submit_application(
    application_id: PathId, uow: UowDep, actor: ActorDep, body: VersionBody | None = None
) -> SubmitResult:
    try:
        application, checks = service.submit_application(uow, actor, application_id, body.version if body else None)
        uow.commit()
    except ApplicantBlacklisted as refusal:
        uow.rollback()  # nothing of the submission is kept; only the alert for risk
        service.record_blacklist_refusal(uow, actor, refusal)
        uow.commit()
        raise
    return SubmitResult(
        application=_public(application),
        checks=[CheckPublic.model_validate(c) for c in checks],
        outcome=application.check_outcome or "pass",
    )


@router.post("/applications/{application_id}/withdraw", response_model=ApplicationPublic)
def withdraw_application(
    application_id: PathId, uow: UowDep, actor: ActorDep, body: VersionBody | None = None
) -> ApplicationPublic:
    application = service.withdraw_application(uow, actor, application_id, body.version if body else None)
    uow.commit()
    return _public(application)


@router.post("/applications/{application_id}/review", response_model=ApplicationPublic)
def review_application(application_id: PathId, body: ReviewRequest, uow: UowDep, actor: ActorDep) -> ApplicationPublic:
    application = service.review_application(uow, actor, application_id, body)
    uow.commit()
    return _public(application)


@router.post("/applications/{application_id}/committee/votes", response_model=VoteResult)
def vote_committee(application_id: PathId, body: VoteRequest, uow: UowDep, actor: ActorDep) -> VoteResult:
    outcome = service.vote_committee(uow, actor, application_id, body)
    uow.commit()
    return VoteResult(
        application=_public(outcome.application),
        votes=[VotePublic.model_validate(v) for v in outcome.votes],
        decided=outcome.decided,
    )


# ---- tasks -----------------------------------------------------------------------------------------------------


@router.get("/tasks", response_model=ListResponse[QueueItem])
def my_tasks(uow: UowDep, actor: ActorDep, paging: PageDep, pool: bool = True) -> ListResponse[QueueItem]:
    items, total = service.list_my_tasks(uow, actor, include_pool=pool, page=paging.page, size=paging.size)
    data = []
    for item in items:
        view = QueueItem.model_validate(item.task)
        view.application_number = item.application.number
        view.applicant_name = item.application.applicant_name
        view.amount = item.application.amount
        view.product_code = item.application.product_code
        view.mine = item.mine
        data.append(view)
    return ListResponse[QueueItem](data=data, count=total)


@router.post("/tasks/{task_id}/claim", response_model=TaskPublic)
def claim_task(task_id: PathId, uow: UowDep, actor: ActorDep, body: TaskVersion | None = None) -> TaskPublic:
    task = service.claim_task(uow, actor, task_id, body.task_version if body else None)
    uow.commit()
    return TaskPublic.model_validate(task)


@router.post("/tasks/{task_id}/release", response_model=TaskPublic)
def release_task(task_id: PathId, uow: UowDep, actor: ActorDep, body: TaskVersion | None = None) -> TaskPublic:
    task = service.release_task(uow, actor, task_id, body.task_version if body else None)
    uow.commit()
    return TaskPublic.model_validate(task)


@router.post("/tasks/{task_id}/reassign", response_model=TaskPublic)
def reassign_task(task_id: PathId, body: ReassignRequest, uow: UowDep, actor: ActorDep) -> TaskPublic:
    task = service.reassign_task(uow, actor, task_id, body.assignee_id, body.task_version)
    uow.commit()
    return TaskPublic.model_validate(task)


# ---- rules and chains ------------------------------------------------------------------------------------------


@router.get("/origination/rules", response_model=ListResponse[RulePublic])
def list_rules(uow: UowDep, actor: ActorDep) -> ListResponse[RulePublic]:
    rules = service.list_rules(uow, actor)
    return ListResponse[RulePublic](data=[RulePublic.model_validate(r) for r in rules], count=len(rules))


@router.post("/origination/rules", status_code=201, response_model=RulePublic)
def create_rule(body: RuleCreate, uow: UowDep, actor: ActorDep) -> RulePublic:
    rule = service.create_rule(uow, actor, body)
    uow.commit()
    return RulePublic.model_validate(rule)


@router.get("/origination/rules/{rule_id}", response_model=RulePublic)
def get_rule(rule_id: PathId, uow: UowDep, actor: ActorDep) -> RulePublic:
    return RulePublic.model_validate(service.get_rule(uow, actor, rule_id))


@router.patch("/origination/rules/{rule_id}", response_model=RulePublic)
def update_rule(rule_id: PathId, body: RuleUpdate, uow: UowDep, actor: ActorDep) -> RulePublic:
    rule = service.update_rule(uow, actor, rule_id, body)
    uow.commit()
    return RulePublic.model_validate(rule)


@router.delete("/origination/rules/{rule_id}", status_code=204)
def delete_rule(
    rule_id: PathId, uow: UowDep, actor: ActorDep, version: Annotated[int | None, Query(ge=1)] = None
) -> Response:
    service.delete_rule(uow, actor, rule_id, version)
    uow.commit()
    return Response(status_code=204)


def _chain(chain: object, stages: list[object]) -> ChainPublic:
    view = ChainPublic.model_validate(chain)
    view.stages = [StagePublic.model_validate(s) for s in stages]
    return view


@router.get("/origination/chains", response_model=ListResponse[ChainPublic])
def list_chains(uow: UowDep, actor: ActorDep) -> ListResponse[ChainPublic]:
    chains = service.list_chains(uow, actor)
    return ListResponse[ChainPublic](data=[_chain(c, list(s)) for c, s in chains], count=len(chains))


@router.post("/origination/chains", status_code=201, response_model=ChainPublic)
def create_chain(body: ChainCreate, uow: UowDep, actor: ActorDep) -> ChainPublic:
    chain = service.create_chain(uow, actor, body)
    uow.commit()
    return _chain(chain, list(service.stages_of(uow, chain.id)))


# ---- the borrower's status page (public: no sign-in, rate-limited per client IP) -----------------------------------


@router.post(
    "/public/application-status",
    response_model=borrower_status.BorrowerStatus,
    tags=["public"],
    responses={404: {"description": "No application matches (the same answer whichever part is wrong)"},
               429: {"description": "Too many look-ups from this address (see Retry-After)"}},
)
def application_status(
    body: borrower_status.StatusQuery, request: Request, uow: UowDep
) -> borrower_status.BorrowerStatus:
    """Where an application stands, for its borrower: the number with the applicant's ID number and phone.

    No sign-in; at most ``TRIES_PER_MINUTE`` look-ups a minute per client address. The answer holds no personal
    data and no staff names."""
    from autofin.origination.partners.api import limiter_of

    client_ip = request.client.host if request.client else None
    borrower_status.check_rate(limiter_of(get_app(request), "status"), client_ip)  # 429 with Retry-After
    return borrower_status.borrower_status(uow, body.application_number, body.id_number, body.phone)


# Second-party intake (第二方进件): the partners' signed API and its administration live in ``partners/``.
from autofin.origination.partners.api import router as partner_router  # noqa: E402

router.include_router(partner_router)


# Disbursement (放款) and credit lines (授信) live in their own module; their routes join this router.
from autofin.origination.disbursing.api import router as disbursement_router  # noqa: E402

router.include_router(disbursement_router)

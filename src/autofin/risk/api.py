"""HTTP routes of the risk model registry: list, detail, train from an uploaded CSV, approve, promote, score."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile

from autofin.api.deps import ActorDep, PageDep, UowDep, get_app
from autofin.risk import service, training
from autofin.risk.schemas import (
    PsiCheckPublic,
    RiskModelDetail,
    RiskModelPublic,
    ScoreLogPublic,
    ScoreRequest,
    ScoreResponse,
    TrainingJobPublic,
)
from autofin.schemas import ListResponse

router = APIRouter(prefix="/api/v1/risk", tags=["risk"])
ModelId = Annotated[int, Path(ge=1)]
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _public(model: Any, detail: bool = False) -> Any:
    data = {c: getattr(model, c) for c in RiskModelPublic.model_fields if c != "summary"}
    data["summary"] = (model.metrics or {}).get("summary", {})
    if detail:
        return RiskModelDetail(**data, features=model.features, metrics=model.metrics,
                               artifact_path=model.artifact_path)
    return RiskModelPublic(**data)


@router.get("/models", response_model=ListResponse[RiskModelPublic])
def list_models(uow: UowDep, actor: ActorDep, paging: PageDep,
                status: Annotated[str | None, Query(pattern="^(draft|approved|production|retired)$")] = None,
                ) -> ListResponse[RiskModelPublic]:
    rows, total = service.list_models(uow, actor, q=paging.q, status=status, page=paging.page, size=paging.size)
    return ListResponse[RiskModelPublic](data=[_public(r) for r in rows], count=total)


@router.get("/models/{model_id}", response_model=RiskModelDetail)
def get_model(model_id: ModelId, uow: UowDep, actor: ActorDep) -> RiskModelDetail:
    return _public(service.get_model(uow, actor, model_id), detail=True)  # type: ignore[no-any-return]


@router.post("/models", status_code=201, response_model=RiskModelDetail)
def train_model(
    uow: UowDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="Training CSV (UTF-8, header row).")],
    name: Annotated[str, Form(pattern=r"^[a-z0-9][a-z0-9_\-]{1,63}$")],
    target: Annotated[str, Form(min_length=1, max_length=100)],
    kind: Annotated[str, Form(pattern="^(pd|valuation)$")] = "pd",
    id_column: Annotated[str | None, Form(max_length=100)] = None,
    drop: Annotated[str | None, Form(max_length=2000)] = None,
    max_rounds: Annotated[int, Form(ge=10, le=5000)] = 2000,
) -> RiskModelDetail:
    content = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        from autofin.risk.errors import bad_data

        raise bad_data("The file is larger than 50 MB; upload a smaller sample.", "文件超过 50 MB，请上传较小的样本。")
    cmd = service.TrainCommand(name=name, kind=kind, target=target, id_column=id_column or None,
                               drop=tuple(c.strip() for c in (drop or "").split(",") if c.strip()),
                               max_rounds=max_rounds)
    model = service.train_model(uow, actor, cmd, content)
    uow.commit()
    return _public(model, detail=True)  # type: ignore[no-any-return]


@router.post("/models/{model_id}/approve", response_model=RiskModelPublic)
def approve_model(model_id: ModelId, uow: UowDep, actor: ActorDep) -> RiskModelPublic:
    model = service.approve_model(uow, actor, model_id)
    uow.commit()
    return _public(model)  # type: ignore[no-any-return]


@router.post("/models/{model_id}/promote", response_model=RiskModelPublic)
def promote_model(model_id: ModelId, uow: UowDep, actor: ActorDep) -> RiskModelPublic:
    model = service.promote_model(uow, actor, model_id)
    uow.commit()
    return _public(model)  # type: ignore[no-any-return]


@router.post("/models/{model_id}/retire", response_model=RiskModelPublic)
def retire_model(model_id: ModelId, uow: UowDep, actor: ActorDep) -> RiskModelPublic:
    model = service.retire_model(uow, actor, model_id)
    uow.commit()
    return _public(model)  # type: ignore[no-any-return]


@router.post("/models/{name}/score", response_model=ScoreResponse)
def score_one(name: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_\-]{1,63}$")], body: ScoreRequest,
              uow: UowDep, actor: ActorDep) -> ScoreResponse:
    """Score one applicant (or value one vehicle) with the production version of the model ``name``."""
    model, output, log = service.score_one(uow, actor, name, body.inputs, body.subject_id)
    uow.commit()
    return ScoreResponse(model_id=model.id, model_name=model.name, model_number=model.number, log_id=log.id,
                         result=output)


@router.post("/models/{model_id}/psi", response_model=PsiCheckPublic | None)
def check_psi(model_id: ModelId, uow: UowDep, actor: ActorDep) -> PsiCheckPublic | None:
    check = service.check_psi(uow, actor, model_id)
    uow.commit()
    return PsiCheckPublic.model_validate(check) if check is not None else None


@router.post("/training-jobs", status_code=202, response_model=TrainingJobPublic)
def start_training(
    request: Request,
    uow: UowDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="Training CSV (UTF-8, header row).")],
    name: Annotated[str, Form(pattern=r"^[a-z0-9][a-z0-9_\-]{1,63}$")],
    target: Annotated[str, Form(min_length=1, max_length=100)],
    kind: Annotated[str, Form(pattern="^(pd|valuation)$")] = "pd",
    id_column: Annotated[str | None, Form(max_length=100)] = None,
    drop: Annotated[str | None, Form(max_length=2000)] = None,
    max_rounds: Annotated[int, Form(ge=10, le=5000)] = 2000,
) -> TrainingJobPublic:
    """Check the file and queue the training; it runs in the background (poll ``GET /training-jobs/{id}``)."""
    content = file.file.read(training.MAX_UPLOAD_BYTES + 1)
    cmd = service.TrainCommand(name=name, kind=kind, target=target, id_column=id_column or None,
                               drop=tuple(c.strip() for c in (drop or "").split(",") if c.strip()),
                               max_rounds=max_rounds)
    job = training.start_training(uow, actor, cmd, content, file.filename or "upload.csv")
    uow.commit()
    training.launch(get_app(request), job.id, actor)
    return TrainingJobPublic.model_validate(job)


@router.get("/training-jobs", response_model=ListResponse[TrainingJobPublic])
def list_training_jobs(uow: UowDep, actor: ActorDep, paging: PageDep) -> ListResponse[TrainingJobPublic]:
    rows, total = training.list_training_jobs(uow, actor, page=paging.page, size=paging.size)
    return ListResponse[TrainingJobPublic](data=[TrainingJobPublic.model_validate(r) for r in rows], count=total)


@router.get("/training-jobs/{job_id}", response_model=TrainingJobPublic)
def get_training_job(job_id: ModelId, uow: UowDep, actor: ActorDep) -> TrainingJobPublic:
    return TrainingJobPublic.model_validate(training.get_training_job(uow, actor, job_id))


@router.get("/models/{model_id}/psi", response_model=list[PsiCheckPublic])
def psi_history(model_id: ModelId, uow: UowDep, actor: ActorDep) -> list[PsiCheckPublic]:
    return [PsiCheckPublic.model_validate(c) for c in service.psi_history(uow, actor, model_id)]


@router.get("/models/{model_id}/scorecard")
def scorecard_table(model_id: ModelId, uow: UowDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The scorecard's bin table: feature, bin, rows, bad rate, WoE, IV, points."""
    return service.scorecard_table(uow, actor, model_id)


@router.get("/scores/{log_id}", response_model=ScoreLogPublic)
def get_score(log_id: ModelId, uow: UowDep, actor: ActorDep) -> ScoreLogPublic:
    """A logged production score with the model version and the inputs it was given."""
    return ScoreLogPublic.model_validate(service.get_score_log(uow, actor, log_id))

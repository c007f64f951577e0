"""Training from an uploaded CSV as a background job (训练任务), with progress the console and the API poll.

``start_training`` checks the request and the file at once (a missing column, an empty file or a one-class target is
refused with a field-level problem before anything is written), stores the file under the data directory
(``risk-uploads/<job id>.csv``) and records a ``queued`` job. After the caller commits, :func:`launch` runs
:func:`run_training` in a daemon thread: it marks the job ``running``, trains (the boosting rounds report progress to
the job row, at most a few times a second), registers the model as a draft with the requester as its trainer and
marks the job ``succeeded`` (with the model) or ``failed`` (with the problem in both languages). Trainings run one at
a time per process: the machine's cores are better spent on one model than shared by several.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from autofin.audit import service as audit
from autofin.db.paging import fetch_page
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import DomainError
from autofin.risk import errors, service
from autofin.risk.modelling.credit import binary_target
from autofin.risk.modelling.features import DataProblem, read_csv, require_columns, to_number
from autofin.risk.models import ModelKind, TrainingJob, TrainingStatus
from autofin.risk.permissions import MODEL_TRAIN, MODEL_VIEW

if TYPE_CHECKING:
    from autofin.bootstrap import App

log = logging.getLogger("autofin.risk.training")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
PROGRESS_EVERY_SECONDS = 0.5
ABANDONED_AFTER = timedelta(hours=2)  # no progress for this long: the process that ran it is gone
_ONE_AT_A_TIME = threading.Lock()
# share of the bar each stage fills: PD boosting, scorecard, refit and saving (valuation: boosting, interval)
STAGES = {"pd": (0, 70), "scorecard": (70, 90), "valuation": (0, 85), "interval": (85, 90), "register": (90, 99)}


def uploads_dir(uow: UnitOfWork) -> Path:
    return Path(uow.settings.data_dir) / "risk-uploads"


def _precheck(cmd: service.TrainCommand, csv_data: bytes, file_name: str) -> int:
    """The problems a person can fix before training starts; returns the number of data rows."""
    if not csv_data.strip():
        raise errors.bad_data(f"{file_name}: the file is empty; upload a CSV with a header row and data rows.",
                              f"{file_name}：文件为空，请上传带表头和数据行的 CSV。")
    if len(csv_data) > MAX_UPLOAD_BYTES:
        raise errors.bad_data("The file is larger than 50 MB; upload a smaller sample.",
                              "文件超过 50 MB，请上传较小的样本。")
    try:
        frame = read_csv(io.BytesIO(csv_data))
    except DataProblem as problem:
        raise errors.bad_data(_named(problem.en, file_name), _named(problem.zh or problem.en, file_name)) from None
    field = "target"
    try:
        require_columns(frame, [cmd.target], "training data")
        field = "id_column"
        require_columns(frame, [cmd.id_column] if cmd.id_column else [], "training data")
        field = "drop"
        require_columns(frame, list(cmd.drop), "training data")
        field = "target"
        if cmd.kind == ModelKind.PD:
            binary_target(frame[cmd.target], cmd.target)
        elif int((to_number(frame[cmd.target]) > 0).sum()) < 50:
            raise DataProblem(f"target '{cmd.target}' has fewer than 50 usable prices (numbers above zero).",
                              f"目标列“{cmd.target}”的有效价格（大于零）少于 50 个。")
    except DataProblem as problem:
        raise errors.bad_data(problem.en, problem.zh or problem.en, field) from None
    return len(frame)


def _named(message: str, file_name: str) -> str:
    """read_csv names its source; for an upload that is the file's name, not a memory buffer."""
    return re.sub(r"<_io\.BytesIO object at 0x[0-9a-f]+>", file_name, message)


def start_training(uow: UnitOfWork, actor: Actor, cmd: service.TrainCommand, csv_data: bytes,
                   file_name: str = "upload.csv") -> TrainingJob:
    """Check the request and the file, keep the file and queue the training (the caller commits, then launches)."""
    actor.require(MODEL_TRAIN)
    service.check_command(cmd)
    _fail_abandoned(uow)
    rows = _precheck(cmd, csv_data, file_name or "upload.csv")
    job = TrainingJob(name=cmd.name, kind=cmd.kind, target=cmd.target, id_column=cmd.id_column,
                      drop_columns=list(cmd.drop), max_rounds=cmd.max_rounds,
                      file_name=(file_name or "upload.csv")[:255],
                      file_rows=rows, status=TrainingStatus.QUEUED.value, stage="queued", percent=0,
                      requested_by_id=actor.user_id, requested_by=actor.username)
    uow.session.add(job)
    uow.flush()
    folder = uploads_dir(uow)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{job.id}.csv").write_bytes(csv_data)
    audit.record(uow, actor, "risk.training.start", "risk_training_job", job.id,
                 after={"name": cmd.name, "kind": cmd.kind, "target": cmd.target, "rows": rows,
                        "file": job.file_name})
    return job


def _fail_abandoned(uow: UnitOfWork) -> None:
    """Jobs silent for longer than ABANDONED_AFTER (the server stopped mid-training) end as failed, files removed."""
    cutoff = utcnow() - ABANDONED_AFTER
    stale = uow.session.execute(select(TrainingJob).where(
        TrainingJob.status.in_([TrainingStatus.QUEUED.value, TrainingStatus.RUNNING.value]),
        TrainingJob.updated_at < cutoff)).scalars().all()
    for job in stale:
        job.status, job.stage, job.finished_at = TrainingStatus.FAILED.value, "failed", utcnow()
        job.error_en = "The training was interrupted (the server stopped); start it again."
        job.error_zh = "训练被中断（服务器已停止），请重新开始训练。"
        (uploads_dir(uow) / f"{job.id}.csv").unlink(missing_ok=True)
    if stale:
        uow.flush()


def get_training_job(uow: UnitOfWork, actor: Actor, job_id: int) -> TrainingJob:
    actor.require(MODEL_VIEW)
    job = uow.session.get(TrainingJob, job_id)
    if job is None:
        raise errors.training_job_not_found(job_id)
    return job


def list_training_jobs(uow: UnitOfWork, actor: Actor, *, page: int = 1,
                       size: int = 20) -> tuple[list[TrainingJob], int]:
    actor.require(MODEL_VIEW)
    return fetch_page(uow.session, select(TrainingJob), (TrainingJob.id.desc(),), page, size)


def launch(app: App, job_id: int, actor: Actor) -> threading.Thread:
    """Run the queued job in a background thread (call after the job row is committed)."""
    thread = threading.Thread(target=run_training, args=(app, job_id, actor), name=f"risk-training-{job_id}",
                              daemon=True)
    thread.start()
    return thread


def _set(app: App, job_id: int, **values: Any) -> None:
    with app.uow() as uow:
        uow.session.execute(update(TrainingJob).where(TrainingJob.id == job_id).values(updated_at=utcnow(), **values))
        uow.commit()


def _progress_reporter(app: App, job_id: int) -> Callable[[str, int, int], None]:
    last = {"at": 0.0, "percent": -1}

    def report(stage: str, done: int, total: int) -> None:
        start, end = STAGES.get(stage, (0, 90))
        percent = int(start + (end - start) * min(done / max(total, 1), 1.0))
        now = time.monotonic()
        if percent != last["percent"] and now - last["at"] >= PROGRESS_EVERY_SECONDS:
            last.update(at=now, percent=percent)
            _set(app, job_id, stage=stage, percent=percent)

    return report


def run_training(app: App, job_id: int, actor: Actor) -> None:
    """Train the queued job and register the model; the outcome (or the problem) is written to the job row."""
    with _ONE_AT_A_TIME:
        with app.uow() as uow:
            job = uow.session.get(TrainingJob, job_id)
            if job is None or job.status != TrainingStatus.QUEUED:
                return
            cmd = service.TrainCommand(name=job.name, kind=job.kind, target=job.target, id_column=job.id_column,
                                       drop=tuple(job.drop_columns or ()), max_rounds=job.max_rounds)
            path = uploads_dir(uow) / f"{job.id}.csv"
            uow.commit()
        _set(app, job_id, status=TrainingStatus.RUNNING.value, stage="reading", percent=1, started_at=utcnow())
        try:
            trained = service.fit_artifact(cmd, path.read_bytes(), progress=_progress_reporter(app, job_id))
            _set(app, job_id, stage="register", percent=95)
            with app.uow() as uow:
                model = service.register_trained(uow, actor, cmd, trained)
                uow.session.execute(update(TrainingJob).where(TrainingJob.id == job_id).values(
                    status=TrainingStatus.SUCCEEDED.value, stage="done", percent=100, model_id=model.id,
                    finished_at=utcnow(), updated_at=utcnow()))
                uow.commit()
        except DomainError as problem:
            _set(app, job_id, status=TrainingStatus.FAILED.value, stage="failed", finished_at=utcnow(),
                 error_en=problem.message.en[:2000], error_zh=problem.message.zh[:2000])
        except Exception as exc:  # an unexpected failure still ends the job, with its type for the log
            log.exception("risk training failed", extra={"job_id": job_id})
            _set(app, job_id, status=TrainingStatus.FAILED.value, stage="failed", finished_at=utcnow(),
                 error_en=f"Training failed unexpectedly ({type(exc).__name__}); see the server log.",
                 error_zh=f"训练意外失败（{type(exc).__name__}），请查看服务器日志。")
        finally:
            path.unlink(missing_ok=True)

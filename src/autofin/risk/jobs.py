"""Scheduled job of the risk domain: a daily PSI check of every production credit model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autofin.kernel.actor import SYSTEM
from autofin.platform.service import JobRunContext, declare_job
from autofin.risk import service

if TYPE_CHECKING:
    from autofin.bootstrap import App


def check_population_stability(app: App, run: JobRunContext) -> dict[str, Any]:
    """PSI of each production model's recent scores; a value above 0.25 counts as a warning."""
    with app.uow() as uow:
        model_ids = service.production_model_ids(uow)
    counts = {"checked": 0, "warnings": 0, "no_scores": 0}
    for model_id in model_ids:
        with app.uow() as uow:
            check = service.check_psi(uow, SYSTEM, model_id)
            uow.commit()
        if check is None:
            counts["no_scores"] += 1
            continue
        counts["checked"] += 1
        counts["warnings"] += int(check.status == "warning")
    return counts


declare_job("risk.psi_check", check_population_stability, "30 2 * * *", "模型稳定性(PSI)检查",
            "Population stability (PSI) check of production models")

"""Demo risk models: a PD model with its scorecard on the packaged L&T loans (trained by a demo analyst, approved
and put in production by a second person), a few hundred logged production scores and a PSI check, so the model
list, a model's charts, the PSI monitor and the "score one applicant" form all have something to show.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM
from autofin.risk import service
from autofin.risk.modelling.features import read_csv
from autofin.risk.models import RiskModel

DATA = Path(__file__).parent / "data" / "lt_vehicle_loans.csv"
NAME = "lt-pd"
ANALYST = replace(SYSTEM, username="demo-risk-analyst")  # trains; the system actor approves (a second person)
SCORED = 120


def load(uow: UnitOfWork, settings: Any) -> list[str]:
    if uow.session.execute(select(RiskModel.id).where(RiskModel.name == NAME)).first():
        return ["risk: demo model already present"]
    cmd = service.TrainCommand(name=NAME, kind="pd", target="loan_default", id_column="UniqueID", max_rounds=150)
    model = service.train_model(uow, ANALYST, cmd, DATA.read_bytes())
    service.approve_model(uow, SYSTEM, model.id)
    service.promote_model(uow, SYSTEM, model.id)
    applicants = read_csv(DATA).drop(columns=["loan_default"]).sample(SCORED, random_state=11)
    for record in applicants.to_dict("records"):
        inputs = {k: v for k, v in record.items() if isinstance(v, str) and k != "UniqueID"}
        service.score_one(uow, SYSTEM, NAME, inputs, subject_id=f"DEMO-{record['UniqueID']}")
    check = service.check_psi(uow, SYSTEM, model.id)
    psi = f"{check.psi:.3f}" if check else "-"
    return [f"risk: PD model {NAME} v{model.number} in production (held-out AUC "
            f"{model.metrics['summary']['pd_auc']:.3f}), {SCORED} demo scores, PSI {psi}"]

"""A demo partner platform (idempotent), so ``make run`` shows second-party intake: its key id and secret are
printed once, when it is created (as the API answers them once)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import DomainError
from autofin.org import service as org
from autofin.origination.partners import service
from autofin.origination.partners.models import Partner
from autofin.origination.partners.schemas import PartnerCreate

CODE = "DEMO-PLAT"


def load(uow: UnitOfWork, settings: Any) -> list[str]:
    if uow.session.execute(select(Partner.id).where(Partner.code == CODE)).first():
        return ["origination: demo partner already there"]
    departments, _count = org.list_departments(uow, SYSTEM, size=200)
    dealer = next((d for d in departments if d.code.upper().startswith("DEALER")), None) or next(
        (d for d in departments if d.code == "HQ"), None
    )
    if dealer is None:
        return ["origination: no department for the demo partner"]
    try:
        partner, secret = service.create_partner(
            uow,
            SYSTEM,
            PartnerCreate(
                code=CODE,
                name="演示合作平台",
                department_id=dealer.id,
                rate_limit_per_minute=120,
                mappings={"product": {"P01": "NEW-ANNUITY"}, "id_type": {"01": "resident_id"},
                          "method": {"DEBX": "annuity", "DEBJ": "equal_principal"}},
                description="第二方进件演示：产品 P01、证件类型 01、还款方式 DEBX/DEBJ",
            ),
        )
    except DomainError as exc:  # e.g. the demo products are not loaded
        return [f"origination: demo partner skipped: {exc.message.en}"]
    return [f"origination: demo partner {CODE} (dealer {dealer.code}): X-Partner-Key {partner.key_id}, "
            f"secret {secret} (shown once)"]

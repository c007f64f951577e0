"""The regulatory LTV caps (贷款最高发放比例), effective-dated, added once.

* 2018-01-01 (PBOC/CBRC 汽车贷款管理办法 and the 2017 notice 银发〔2017〕234号): self-use conventional 80 %,
  self-use new-energy 85 %, commercial conventional 70 %, commercial new-energy 75 %, used cars 70 %.
* 2024-04-01 (PBOC/NFRA 关于调整汽车贷款有关政策的通知, 银发〔2024〕54号): self-use caps set by the lender (up to
  100 %); commercial and used caps unchanged.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from autofin.db.uow import UnitOfWork
from autofin.products.models import LtvCap

NOTICE_2017 = "银发〔2017〕234号 汽车贷款政策通知 (2018-01-01)"
NOTICE_2024 = "银发〔2024〕54号 关于调整汽车贷款有关政策的通知 (2024-04-01)"
START_2018 = date(2018, 1, 1)
START_2024 = date(2024, 4, 1)
END_BEFORE_2024 = date(2024, 3, 31)

# (use, powertrain, condition, from, to, cap %, lender_set, source)
CAPS: tuple[tuple[str, str, str, date, date | None, str, bool, str], ...] = (
    ("self", "conventional", "new", START_2018, END_BEFORE_2024, "80", False, NOTICE_2017),
    ("self", "nev", "new", START_2018, END_BEFORE_2024, "85", False, NOTICE_2017),
    ("self", "conventional", "new", START_2024, None, "100", True, NOTICE_2024),
    ("self", "nev", "new", START_2024, None, "100", True, NOTICE_2024),
    ("commercial", "conventional", "new", START_2018, None, "70", False, NOTICE_2017),
    ("commercial", "nev", "new", START_2018, None, "75", False, NOTICE_2017),
    ("self", "conventional", "used", START_2018, None, "70", False, NOTICE_2017),
    ("self", "nev", "used", START_2018, None, "70", False, NOTICE_2017),
    ("commercial", "conventional", "used", START_2018, None, "70", False, NOTICE_2017),
    ("commercial", "nev", "used", START_2018, None, "70", False, NOTICE_2017),
)


def seed(uow: UnitOfWork) -> None:
    existing = {
        (row.use, row.powertrain, row.condition, row.effective_from)
        for row in uow.session.execute(select(LtvCap.use, LtvCap.powertrain, LtvCap.condition, LtvCap.effective_from))
    }
    for use, powertrain, condition, start, end, cap, lender_set, source in CAPS:
        if (use, powertrain, condition, start) not in existing:
            uow.session.add(
                LtvCap(
                    use=use,
                    powertrain=powertrain,
                    condition=condition,
                    effective_from=start,
                    effective_to=end,
                    cap_percent=Decimal(cap),
                    lender_set=lender_set,
                    source=source,
                )
            )
    uow.flush()

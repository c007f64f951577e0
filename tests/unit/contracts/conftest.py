"""A sample contract, built the way the origination flow will build one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from autofin.calc import Fee, LoanTerms
from autofin.origination.contracts.document import ContractData, Party, VehicleInfo


def sample_contract(contract_no: str = "HT-2026-000123", **terms: object) -> ContractData:
    loan: dict[str, Any] = {
        "principal": Decimal("100000"),
        "annual_rate": Decimal("8"),
        "term": 12,
        "disbursement_date": date(2026, 11, 24),
        "fees": (Fee(name="服务费", amount=Decimal("1000")),),
    } | terms
    return ContractData(
        contract_no=contract_no,
        product_code="new-car",
        lender=Party("示例汽车金融有限公司", "91310000MA1FL0XX1X", "上海市浦东新区"),
        borrower=Party("张三", "110101199003078515", "北京市朝阳区", "13800138000"),
        vehicle=VehicleInfo("LSVAU2180N2183294", "沪A12345", "大众 帕萨特"),
        terms=LoanTerms(**loan),
        issued_on=date(2026, 11, 24),
        place="上海",
    )


@pytest.fixture()
def contract() -> ContractData:
    return sample_contract()

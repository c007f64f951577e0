from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from autofin.calc import annualized_rate, build_schedule
from autofin.kernel.errors import ValidationFailed
from autofin.kernel.money import format_amount
from autofin.origination.contracts.document import ContractData, format_contract_number, render_contract_pdf
from autofin.origination.contracts.template import ContractTemplate, load_template, template_for

from .conftest import sample_contract

pypdf = pytest.importorskip("pypdf", reason="text extraction needs pypdf (dev dependency)")


def pages_text(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [page.extract_text() for page in reader.pages]


def test_the_first_page_shows_the_contract_number_and_the_pboc_annualised_rate(contract: ContractData) -> None:
    pages = pages_text(render_contract_pdf(contract))
    rate = annualized_rate(build_schedule(contract.terms))
    assert "HT-2026-000123" in pages[0]
    assert "年化利率（按中国人民银行规定的内部收益率法计算）" in pages[0]
    assert f"{rate.simple:.2f}%" in pages[0]
    assert rate.simple == Decimal("9.90")  # 8 % nominal with a 1,000 fee deducted from 100,000


def test_the_appendix_lists_every_installment_of_the_schedule(contract: ContractData) -> None:
    text = "\n".join(pages_text(render_contract_pdf(contract))[1:])
    schedule = build_schedule(contract.terms)
    assert "还款计划表" in text
    for item in schedule.installments:
        assert item.due_date.isoformat() in text
        assert format_amount(item.total) in text
        assert format_amount(item.principal) in text
    assert format_amount(schedule.totals.total) in text


def test_the_contract_names_the_parties_the_vehicle_and_the_loan(contract: ContractData) -> None:
    first = pages_text(render_contract_pdf(contract))[0]
    for expected in ("示例汽车金融有限公司", "张三", "LSVAU2180N2183294", "沪A12345", "100,000.00", "12 期", "等额本息",
                     "8.00%", "服务费 1,000.00 元", "99,000.00"):
        assert expected in first


def test_the_borrower_id_number_is_masked(contract: ContractData) -> None:
    text = "\n".join(pages_text(render_contract_pdf(contract)))
    assert "110101199003078515" not in text
    assert "110101********8515" in text
    assert "13800138000" not in text


def test_signature_blocks_for_both_parties_are_printed(contract: ContractData) -> None:
    text = "\n".join(pages_text(render_contract_pdf(contract)))
    assert "贷款人（甲方）：示例汽车金融有限公司" in text
    assert "借款人（乙方）：张三" in text


def test_the_same_contract_data_gives_the_same_pdf_bytes(contract: ContractData) -> None:
    assert render_contract_pdf(contract) == render_contract_pdf(contract)


def test_a_long_equal_principal_loan_without_plate_renders_every_installment_and_shows_plate_pending() -> None:
    data = sample_contract(term=60, method="equal_principal", fees=())
    data = ContractData(**{**data.__dict__, "vehicle": type(data.vehicle)("LSVAU2180N2183294")})
    pages = pages_text(render_contract_pdf(data))
    text = "\n".join(pages)
    assert "待上牌" in pages[0]
    assert "等额本金" in pages[0]
    assert build_schedule(data.terms).installments[-1].due_date.isoformat() in text
    assert len(pages) >= 3


def test_a_malformed_contract_number_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        sample_contract("HT-26-123")
    assert caught.value.code == "origination.contract.number_invalid"


def test_contract_numbers_have_the_year_and_six_digits() -> None:
    assert format_contract_number(2026, 123) == "HT-2026-000123"
    with pytest.raises(ValueError):
        format_contract_number(2026, 1_000_000)


def test_products_without_their_own_template_use_the_default_template() -> None:
    assert template_for("any-product").code == "default"
    assert load_template("default").clauses


def test_a_template_with_an_unknown_placeholder_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        ContractTemplate.from_dict({"code": "x", "title": "t", "clauses": [{"heading": "h", "text": "{salary}"}]})
    assert caught.value.code == "origination.contract.template_invalid"


def test_a_missing_template_is_reported_by_name() -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_template("no-such-template")
    assert caught.value.code == "origination.contract.template_missing"


def test_a_custom_template_fills_its_placeholders_from_the_contract(contract: ContractData) -> None:
    template = ContractTemplate.from_dict({
        "code": "used-car",
        "title": "二手车贷款合同",
        "clauses": [{"heading": "第一条", "text": "编号 {contract_no}，年化 {apr_simple}%，车架号 {vin}。"}],
    })
    text = pages_text(render_contract_pdf(contract, template))[0]
    assert "二手车贷款合同" in text
    assert "编号 HT-2026-000123，年化 9.90%，车架号 LSVAU2180N2183294。" in text


def test_issued_on_is_printed(contract: ContractData) -> None:
    assert date(2026, 11, 24).isoformat() in pages_text(render_contract_pdf(contract))[0]

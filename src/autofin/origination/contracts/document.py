"""The loan contract as a PDF, computed purely from :class:`ContractData` (no database, no clock, no network).

The schedule and the annualised rate come from :mod:`autofin.calc`, so the contract shows the same cent as the
quote and the loan account. The annualised rate (PBOC IRR method) is printed in a box on the first page, as the
PBOC rule asks; the full schedule is the appendix. Chinese text uses reportlab's built-in CID font STSong-Light.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from autofin.calc import AnnualizedRate, LoanTerms, Schedule, annualized_rate, build_schedule
from autofin.kernel.errors import invalid
from autofin.kernel.money import format_amount
from autofin.kernel.text import mask_middle
from autofin.origination.contracts.template import ContractTemplate, template_for

FONT = "STSong-Light"
CONTRACT_NO = re.compile(r"^HT-\d{4}-\d{6}$")
METHODS_ZH = {
    "annuity": "等额本息",
    "equal_principal": "等额本金",
    "flat": "等本等息",
    "interest_only": "先息后本",
    "balloon": "尾款贷",
}
FEE_TIMING_ZH = {"upfront": "一次性收取", "per_installment": "每期收取"}
FEE_TREATMENT_ZH = {"deducted": "从放款金额中扣除", "financed": "计入贷款本金", "first_installment": "随首期还款收取"}


@dataclass(frozen=True)
class Party:
    name: str
    id_number: str = ""  # borrower: resident ID (shown masked); lender: unified social credit code (shown in full)
    address: str = ""
    phone: str = ""


@dataclass(frozen=True)
class VehicleInfo:
    vin: str
    plate: str = ""  # empty until registered: shown as 待上牌
    description: str = ""  # brand / model


@dataclass(frozen=True)
class ContractData:
    """Everything the contract states, built by the caller from the approved application."""

    contract_no: str
    product_code: str
    lender: Party
    borrower: Party
    vehicle: VehicleInfo
    terms: LoanTerms
    issued_on: date
    place: str = ""

    def __post_init__(self) -> None:
        if not CONTRACT_NO.match(self.contract_no):
            raise invalid(
                "contract_no",
                f"'{self.contract_no}' is not a contract number; use HT-YYYY-NNNNNN, e.g. HT-2026-000123.",
                f"“{self.contract_no}”不是有效的合同编号，格式应为 HT-年份-六位序号，例如 HT-2026-000123。",
                "origination.contract.number_invalid",
            )
        if not self.borrower.name.strip() or not self.lender.name.strip():
            raise invalid("borrower", "The lender and the borrower need names.", "贷款人与借款人名称不能为空。",
                          "origination.contract.party_missing")
        if not self.vehicle.vin.strip():
            raise invalid("vehicle.vin", "The contract needs the vehicle's VIN.", "合同须载明车辆识别代号（VIN）。",
                          "origination.contract.vin_missing")


@dataclass(frozen=True)
class ContractFigures:
    schedule: Schedule
    rate: AnnualizedRate


def format_contract_number(year: int, sequence: int) -> str:
    """``HT-2026-000123``: the year and a six-digit sequence within it."""
    if not 1 <= sequence <= 999_999:
        raise ValueError("the contract sequence runs from 1 to 999999 within a year")
    return f"HT-{year:04d}-{sequence:06d}"


def contract_figures(data: ContractData) -> ContractFigures:
    schedule = build_schedule(data.terms)
    return ContractFigures(schedule=schedule, rate=annualized_rate(schedule))


def _pct(value: Decimal) -> str:
    return f"{value:.2f}"


def _fees_text(terms: LoanTerms) -> str:
    if not terms.fees:
        return "无"
    parts = []
    for fee in terms.fees:
        amount = format_amount(fee.amount_on(terms.principal))
        parts.append(
            f"{fee.name} {amount} 元（{FEE_TIMING_ZH.get(fee.timing, fee.timing)}，"
            f"{FEE_TREATMENT_ZH.get(fee.treatment, fee.treatment)}）"
        )
    return "；".join(parts)


def placeholder_values(data: ContractData, figures: ContractFigures) -> dict[str, str]:
    terms = data.terms
    return {
        "contract_no": data.contract_no,
        "amount": format_amount(terms.principal),
        "term": str(terms.term),
        "disbursement_date": terms.disbursement_date.isoformat(),
        "nominal_rate": _pct(terms.annual_rate),
        "method": METHODS_ZH.get(terms.method, terms.method),
        "fees": _fees_text(terms),
        "apr_simple": _pct(figures.rate.simple),
        "apr_compound": _pct(figures.rate.compound),
        "lender_name": data.lender.name,
        "borrower_name": data.borrower.name,
        "vin": data.vehicle.vin,
        "plate": data.vehicle.plate or "待上牌",
    }


def _styles() -> dict[str, ParagraphStyle]:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
    return {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=9, alignment=TA_CENTER, textColor=colors.grey),
        "heading": ParagraphStyle("heading", parent=base, fontSize=11, leading=17, spaceBefore=6),
        "apr": ParagraphStyle("apr", parent=base, fontSize=15, leading=22, alignment=TA_CENTER),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
    }


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _party_table(data: ContractData, s: dict[str, ParagraphStyle]) -> Table:
    borrower_id = mask_middle(data.borrower.id_number, 6, 4) if data.borrower.id_number else "—"
    rows = [
        ["贷款人（甲方）", data.lender.name, "统一社会信用代码", data.lender.id_number or "—"],
        ["住所", data.lender.address or "—", "", ""],
        ["借款人（乙方）", data.borrower.name, "身份证号码", borrower_id],
        ["住址", data.borrower.address or "—", "联系电话",
         mask_middle(data.borrower.phone, 3, 4) if data.borrower.phone else "—"],
        ["车辆识别代号（VIN）", data.vehicle.vin, "车牌号码", data.vehicle.plate or "待上牌"],
        ["车辆", data.vehicle.description or "—", "产品", data.product_code],
    ]
    table = Table([[Paragraph(_esc(c), s["cell"]) for c in row] for row in rows],
                  colWidths=[32 * mm, 55 * mm, 30 * mm, 55 * mm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
        ("BACKGROUND", (2, 0), (2, -1), colors.whitesmoke),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


def _loan_table(data: ContractData, figures: ContractFigures, s: dict[str, ParagraphStyle]) -> Table:
    terms, schedule = data.terms, figures.schedule
    rows = [
        ["借款金额", f"人民币 {format_amount(terms.principal)} 元",
         "实际到账金额", f"{format_amount(schedule.net_disbursed)} 元"],
        ["借款期限", f"{terms.term} 期", "还款方式", METHODS_ZH.get(terms.method, terms.method)],
        ["名义年利率", f"{_pct(terms.annual_rate)}%", "放款日", terms.disbursement_date.isoformat()],
        ["利息总额", f"{format_amount(schedule.totals.interest)} 元", "费用总额",
         f"{format_amount(schedule.totals.fees + schedule.upfront_fees_deducted)} 元"],
        ["费用", _fees_text(terms), "", ""],
    ]
    table = Table([[Paragraph(_esc(c), s["cell"]) for c in row] for row in rows],
                  colWidths=[32 * mm, 55 * mm, 30 * mm, 55 * mm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("SPAN", (1, 4), (3, 4)),
        ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
        ("BACKGROUND", (2, 0), (2, -2), colors.whitesmoke),
    ]))
    return table


def _apr_box(figures: ContractFigures, s: dict[str, ParagraphStyle]) -> Table:
    text = (
        f"年化利率（按中国人民银行规定的内部收益率法计算）：<b>{_pct(figures.rate.simple)}%</b><br/>"
        f"<font size=9>Annualised rate (PBOC IRR method): {_pct(figures.rate.simple)}%；"
        f"按复利计 compound: {_pct(figures.rate.compound)}%</font>"
    )
    box = Table([[Paragraph(text, s["apr"])]], colWidths=[172 * mm])
    box.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 1.5, colors.darkred),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fff4f0")),
        ("TOPPADDING", (0, 0), (-1, -1), 8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
    ]))
    return box


def _signature_blocks(data: ContractData, s: dict[str, ParagraphStyle]) -> Table:
    left = "贷款人（甲方）：" + _esc(data.lender.name) + "<br/>（电子签章）<br/><br/>日期：________"
    right = "借款人（乙方）：" + _esc(data.borrower.name) + "<br/>（签字）<br/><br/>日期：________"
    table = Table([[Paragraph(left, s["body"]), Paragraph(right, s["body"])]], colWidths=[86 * mm, 86 * mm],
                  rowHeights=[35 * mm])
    table.setStyle(TableStyle([("BOX", (0, 0), (0, 0), 0.4, colors.grey), ("BOX", (1, 0), (1, 0), 0.4, colors.grey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _schedule_table(figures: ContractFigures, s: dict[str, ParagraphStyle]) -> Table:
    header = ["期数", "应还日期", "应还本金", "应还利息", "费用", "应还总额", "剩余本金"]
    rows: list[list[str]] = [header]
    for item in figures.schedule.installments:
        rows.append([
            str(item.number),
            item.due_date.isoformat(),
            format_amount(item.principal),
            format_amount(item.interest),
            format_amount(item.fees),
            format_amount(item.total),
            format_amount(item.balance),
        ])
    totals = figures.schedule.totals
    rows.append(["合计", "", format_amount(totals.principal), format_amount(totals.interest),
                 format_amount(totals.fees), format_amount(totals.total), ""])
    table = Table(rows, colWidths=[14 * mm, 24 * mm, 26 * mm, 26 * mm, 22 * mm, 28 * mm, 28 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("BACKGROUND", (0, -1), (-1, -1), colors.whitesmoke),
        ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
    ]))
    return table


def render_contract_pdf(data: ContractData, template: ContractTemplate | None = None) -> bytes:
    """The contract PDF: parties, vehicle, loan figures, the annualised rate box, clauses, signatures, schedule.

    Deterministic: the same data and template give the same bytes (no creation time, no random document id).
    """
    template = template or template_for(data.product_code)
    figures = contract_figures(data)
    values = placeholder_values(data, figures)
    s = _styles()
    story = [
        Paragraph(_esc(template.title), s["title"]),
        Paragraph(_esc(template.title_en), s["subtitle"]),
        Spacer(1, 3 * mm),
        Paragraph(f"合同编号 Contract No.：{data.contract_no}", s["body"]),
        Paragraph(
            f"签订日期：{data.issued_on.isoformat()}"
            + (f"&nbsp;&nbsp;&nbsp;&nbsp;签订地点：{_esc(data.place)}" if data.place else ""),
            s["body"],
        ),
        Spacer(1, 3 * mm),
        _apr_box(figures, s),
        Spacer(1, 4 * mm),
        _party_table(data, s),
        Spacer(1, 3 * mm),
        _loan_table(data, figures, s),
        Spacer(1, 3 * mm),
    ]
    if template.preamble:
        story.append(Paragraph(_esc(template.fill(template.preamble, values)), s["body"]))
    for clause in template.clauses:
        story.append(Paragraph(_esc(clause.heading), s["heading"]))
        story.append(Paragraph(_esc(template.fill(clause.text, values)), s["body"]))
    story += [
        Spacer(1, 6 * mm),
        KeepTogether([Paragraph("签署", s["heading"]), _signature_blocks(data, s)]),
        PageBreak(),
        Paragraph("附件：还款计划表 Repayment schedule", s["heading"]),
        Paragraph(f"合同编号：{data.contract_no}　借款金额：{format_amount(data.terms.principal)} 元　"
                  f"年化利率（IRR）：{_pct(figures.rate.simple)}%", s["small"]),
        Spacer(1, 2 * mm),
        _schedule_table(figures, s),
    ]

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"合同编号 {data.contract_no}　第 {doc.page} 页")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=19 * mm,
        rightMargin=19 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{template.title} {data.contract_no}",
        author=data.lender.name,
        subject=data.contract_no,
        invariant=1,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()

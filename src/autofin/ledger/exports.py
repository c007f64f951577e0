"""Statement exports (报表导出): one table model per statement, rendered to CSV, XLSX (openpyxl) or PDF
(reportlab, Chinese through the built-in CID font STSong-Light — no font file needed).

Amounts stay Decimal up to the renderer: CSV writes them as text with two decimals, XLSX as numbers with a
``#,##0.00`` format, PDF as formatted text. Labels are bilingual (中文 English) so one file serves both.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from autofin.ledger.figures import AccountDetail, BalanceSheet, CashFlowStatement, IncomeStatement, TrialBalance

Cell = str | Decimal | date | None

FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Report:
    slug: str  # file name stem, ASCII
    title: str  # bilingual title
    subtitle: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    bold_rows: frozenset[int] = field(default_factory=frozenset)  # indexes of subtotal / total rows

    def filename(self, fmt: str) -> str:
        return f"{self.slug}.{fmt}"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


# ------------------------------------------------------------------------------------------------ statements
def trial_balance_report(tb: TrialBalance) -> Report:
    rows: list[tuple[Cell, ...]] = [
        (
            r.code,
            r.name_zh,
            r.opening_debit,
            r.opening_credit,
            r.period_debit,
            r.period_credit,
            r.closing_debit,
            r.closing_credit,
        )
        for r in tb.rows
    ]
    rows.append(
        ("合计 Total", "", tb.opening_debit, tb.opening_credit, tb.period_debit, tb.period_credit,
         tb.closing_debit, tb.closing_credit)
    )
    return Report(
        f"trial-balance-{tb.period}",
        "科目余额表 Trial balance",
        f"{tb.period}（{tb.start} – {tb.end}）",
        ("科目代码 Code", "科目名称 Account", "期初借方 Opening Dr", "期初贷方 Opening Cr", "本期借方 Debit",
         "本期贷方 Credit", "期末借方 Closing Dr", "期末贷方 Closing Cr"),
        tuple(rows),
        frozenset({len(rows) - 1}),
    )


def account_detail_report(detail: AccountDetail) -> Report:
    rows: list[tuple[Cell, ...]] = [(detail.start, "", "期初余额 Opening balance", "", None, None, detail.opening)]
    for line in detail.lines:
        rows.append(
            (line.business_date, line.voucher_no, line.description, line.memo, line.debit, line.credit, line.balance)
        )
    rows.append((detail.end, "", "本期合计 Period total", "", detail.total_debit, detail.total_credit, detail.closing))
    return Report(
        f"account-detail-{detail.code}-{detail.start}-{detail.end}",
        f"明细账 Account detail · {detail.code} {detail.name_zh}",
        f"{detail.start} – {detail.end}",
        ("日期 Date", "凭证号 Voucher", "摘要 Description", "备注 Memo", "借方 Debit", "贷方 Credit",
         "余额 Balance"),
        tuple(rows),
        frozenset({0, len(rows) - 1}),
    )


def balance_sheet_report(bs: BalanceSheet) -> Report:
    rows: list[tuple[Cell, ...]] = []
    bold: set[int] = set()

    def section(title: str, lines: Sequence[Any], total_label: str, total: Decimal, extra: Sequence[Any] = ()) -> None:
        bold.add(len(rows))
        rows.append(("", title, None))
        for line in lines:
            rows.append((line.code, line.name_zh, line.amount))
        for code, name, amount in extra:
            rows.append((code, name, amount))
        bold.add(len(rows))
        rows.append(("", total_label, total))

    section("资产 Assets", bs.assets, "资产合计 Total assets", bs.total_assets)
    section("负债 Liabilities", bs.liabilities, "负债合计 Total liabilities", bs.total_liabilities)
    section(
        "所有者权益 Equity",
        bs.equity,
        "所有者权益合计 Total equity",
        bs.total_equity,
        [("", "本年利润（未结转）Current-year profit", bs.current_year_profit)],
    )
    bold.add(len(rows))
    rows.append(("", "负债和所有者权益总计 Liabilities and equity", bs.total_liabilities + bs.total_equity))
    return Report(
        f"balance-sheet-{bs.as_of}",
        "资产负债表 Balance sheet",
        f"{bs.as_of}",
        ("科目 Code", "项目 Item", "金额 Amount"),
        tuple(rows),
        frozenset(bold),
    )


def income_statement_report(statement: IncomeStatement) -> Report:
    rows: list[tuple[Cell, ...]] = [("", "收入 Income", None)]
    bold = {0}
    rows += [(line.code, line.name_zh, line.amount) for line in statement.income]
    bold.add(len(rows))
    rows.append(("", "收入合计 Total income", statement.total_income))
    bold.add(len(rows))
    rows.append(("", "费用 Expenses", None))
    rows += [(line.code, line.name_zh, line.amount) for line in statement.expenses]
    bold.add(len(rows))
    rows.append(("", "费用合计 Total expenses", statement.total_expenses))
    bold.add(len(rows))
    rows.append(("", "净利润 Net profit", statement.net_profit))
    return Report(
        f"income-statement-{statement.period}",
        "利润表 Income statement",
        f"{statement.period}（{statement.start} – {statement.end}）",
        ("科目 Code", "项目 Item", "金额 Amount"),
        tuple(rows),
        frozenset(bold),
    )


def cash_flow_report(statement: CashFlowStatement) -> Report:
    rows: list[tuple[Cell, ...]] = []
    bold: set[int] = set()
    for section in statement.sections:
        bold.add(len(rows))
        rows.append(("", f"{section.name_zh} {section.name_en}", None, None, None))
        for item in section.items:
            rows.append((item.category_code, f"{item.name_zh} {item.name_en}", item.inflow, item.outflow, item.net))
        bold.add(len(rows))
        rows.append(("", "小计 Subtotal", section.inflow, section.outflow, section.net))
    for label, amount in (
        ("现金净增加额 Net change in cash", statement.net_change),
        ("期初现金余额 Opening cash", statement.opening_cash),
        ("期末现金余额 Closing cash", statement.closing_cash),
    ):
        bold.add(len(rows))
        rows.append(("", label, None, None, amount))
    return Report(
        f"cash-flow-{statement.period}",
        "现金流量表 Cash-flow statement",
        f"{statement.period}（{statement.start} – {statement.end}）",
        ("科目 Code", "项目 Item", "流入 Inflow", "流出 Outflow", "净额 Net"),
        tuple(rows),
        frozenset(bold),
    )


# ------------------------------------------------------------------------------------------------ renderers
def to_csv(report: Report) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([report.title, report.subtitle])
    writer.writerow(report.headers)
    for row in report.rows:
        writer.writerow(
            ["" if cell is None else f"{cell:.2f}" if isinstance(cell, Decimal) else str(cell) for cell in row]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook has one sheet
    sheet.title = report.title.split(" ")[0][:31]
    sheet.append([report.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([report.subtitle])
    sheet.append(list(report.headers))
    header_fill = PatternFill("solid", fgColor="E3ECF8")
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for index, row in enumerate(report.rows):
        sheet.append([cell for cell in row])
        excel_row = sheet.max_row
        for cell in sheet[excel_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
            if index in report.bold_rows:
                cell.font = Font(bold=True)
    for column in range(1, len(report.headers) + 1):
        width = max(
            [len(str(report.headers[column - 1])) * 1.1]
            + [len(str(row[column - 1] or "")) * 1.6 for row in report.rows if column - 1 < len(row)]
        )
        sheet.column_dimensions[get_column_letter(column)].width = min(max(12, width), 48)
    sheet.freeze_panes = "A4"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_FONT = "STSong-Light"


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))


def to_pdf(report: Report) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font()
    wide = len(report.headers) > 5
    pagesize = landscape(A4) if wide else A4
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=pagesize, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
        title=report.title, author="autofin",
    )
    title_style = ParagraphStyle("title", fontName=_FONT, fontSize=15, leading=20, spaceAfter=2)
    sub_style = ParagraphStyle("sub", fontName=_FONT, fontSize=9, leading=12, textColor=colors.grey)
    cell_style = ParagraphStyle("cell", fontName=_FONT, fontSize=8, leading=10)
    header_style = ParagraphStyle("head", fontName=_FONT, fontSize=8, leading=10)

    def show(cell: Cell) -> Any:
        if cell is None:
            return ""
        if isinstance(cell, Decimal):
            return _money(cell)
        return Paragraph(_escape(str(cell)), cell_style)

    data = [[Paragraph(_escape(h), header_style) for h in report.headers]]
    data += [[show(cell) for cell in row] for row in report.rows]
    usable = pagesize[0] - 24 * mm
    numeric = [i for i in range(len(report.headers)) if any(isinstance(r[i], Decimal) for r in report.rows)]
    text_columns = [i for i in range(len(report.headers)) if i not in numeric]
    number_width = 28 * mm if wide else 34 * mm
    rest = max(usable - number_width * len(numeric), 40 * mm)
    weights = {i: (2.5 if i == 1 or (i == 2 and len(text_columns) > 2) else 1.0) for i in text_columns}
    total_weight = sum(weights.values()) or 1
    widths = [number_width if i in numeric else rest * weights[i] / total_weight for i in range(len(report.headers))]
    table = Table(data, colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), _FONT, 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E3ECF8")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#B0BEC5")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    style += [("ALIGN", (i, 1), (i, -1), "RIGHT") for i in numeric]
    style += [("BACKGROUND", (0, i + 1), (-1, i + 1), colors.HexColor("#F4F6FA")) for i in report.bold_rows]
    table.setStyle(TableStyle(style))
    document.build(
        [Paragraph(_escape(report.title), title_style), Paragraph(_escape(report.subtitle), sub_style),
         Spacer(1, 4 * mm), table]
    )
    return buffer.getvalue()


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(report: Report, fmt: str) -> tuple[bytes, str, str]:
    """``(content, media type, file name)`` of a report in ``csv``, ``xlsx`` or ``pdf``."""
    if fmt == "csv":
        content = to_csv(report)
    elif fmt == "xlsx":
        content = to_xlsx(report)
    elif fmt == "pdf":
        content = to_pdf(report)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return content, FORMATS[fmt], report.filename(fmt)

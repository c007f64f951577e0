"""The delinquency dashboard (逾期看板): buckets, five-level classes and the provision trend in echarts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nicegui import ui

from autofin.console.frame import PRIMARY
from autofin.console.i18n import t
from autofin.console.session import PageContext
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.servicing import dashboard
from autofin.servicing.console.common import figure_card, label_of, money, simple_table

BUCKET_COLOURS = {"M0": "#2e7d32", "M1": "#f9a825", "M2": "#ef6c00", "M3": "#d84315", "M4+": "#b71c1c"}
CLASS_COLOURS = {"pass": "#2e7d32", "special_mention": "#f9a825", "substandard": "#ef6c00", "doubtful": "#d84315",
                 "loss": "#b71c1c"}


# ------------------------------------------------------------------------------------------------ dashboard
def bucket_chart_options(slices: list[dashboard.Slice]) -> dict[str, Any]:
    """Bars of loan counts and principal outstanding per bucket (two axes)."""
    return {
        "animation": False,
        "title": {"text": t("servicing.by_bucket"), "left": 0, "top": 0, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "right": 0, "data": [t("servicing.count"), t("servicing.balance")]},
        "grid": {"left": 60, "right": 90, "top": 64, "bottom": 30},
        "xAxis": {"type": "category", "data": [s.key for s in slices]},
        "yAxis": [{"type": "value", "name": t("servicing.count"), "minInterval": 1},
                  {"type": "value", "name": t("servicing.balance")}],
        "series": [
            {"name": t("servicing.count"), "type": "bar", "barMaxWidth": 36,
             "data": [{"value": s.loans, "itemStyle": {"color": BUCKET_COLOURS.get(s.key, PRIMARY)}}
                      for s in slices]},
            {"name": t("servicing.balance"), "type": "bar", "yAxisIndex": 1, "barMaxWidth": 36,
             "itemStyle": {"color": "#90a4c8"}, "data": [float(s.principal) for s in slices]},
        ],
    }


def class_chart_options(slices: list[dashboard.Slice]) -> dict[str, Any]:
    """A pie of principal outstanding per five-level class (count in the tooltip's label)."""
    return {
        "animation": False,
        "title": {"text": t("servicing.by_class"), "left": 0, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"bottom": 0},
        "series": [{
            "type": "pie", "radius": ["35%", "65%"], "center": ["50%", "50%"],
            "label": {"formatter": "{b}\n{d}%"},
            "data": [{"name": label_of("servicing.class", s.key), "value": float(s.principal),
                      "itemStyle": {"color": CLASS_COLOURS.get(s.key, PRIMARY)}} for s in slices],
        }],
    }


def trend_chart_options(points: list[dashboard.TrendPoint]) -> dict[str, Any]:
    return {
        "animation": False,
        "title": {"text": t("servicing.trend"), "left": 0, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "right": 0},
        "grid": {"left": 80, "right": 80, "top": 64, "bottom": 30},
        "xAxis": {"type": "category", "data": [p.business_date.isoformat()[5:] for p in points]},
        "yAxis": [{"type": "value", "name": t("servicing.trend.provision")}, {"type": "value"}],
        "series": [
            {"name": t("servicing.trend.provision"), "type": "line", "data": [float(p.provision) for p in points],
             "itemStyle": {"color": PRIMARY}, "areaStyle": {"opacity": 0.08}},
            {"name": t("servicing.trend.interest"), "type": "bar", "yAxisIndex": 1,
             "data": [float(p.interest) for p in points], "itemStyle": {"color": "#90a4c8"}},
            {"name": t("servicing.trend.penalty"), "type": "bar", "yAxisIndex": 1,
             "data": [float(p.penalty) for p in points], "itemStyle": {"color": "#d84315"}},
        ],
    }


def slice_rows(slices: list[dashboard.Slice], prefix: str | None) -> list[dict[str, Any]]:
    return [{"id": s.key, "key": label_of(prefix, s.key) if prefix else s.key, "loans": s.loans,
             "principal": money(s.principal), "overdue": money(s.overdue), "provision": money(s.provision)}
            for s in slices]


def dashboard_page(ctx: PageContext) -> None:
    def query(uow: UnitOfWork, actor: Actor) -> tuple[dashboard.Delinquency, list[dashboard.TrendPoint]]:
        return dashboard.delinquency(uow, actor), dashboard.trend(uow, actor)

    answer = ctx.read(query, None)
    if answer is None:
        return
    book, points = answer
    rate = (Decimal(book.overdue_loans) / Decimal(book.loans) * 100) if book.loans else Decimal(0)
    with ui.row().classes("w-full gap-3"):
        figure_card(t("servicing.live_loans"), str(book.loans), "live-loans")
        figure_card(t("servicing.overdue_loans"), str(book.overdue_loans), "overdue-loans", color="negative")
        figure_card(t("servicing.overdue_rate"), f"{rate:.2f}%", "overdue-rate", color="negative")
        figure_card(t("servicing.balance"), money(book.principal), "principal")
        figure_card(t("servicing.overdue_amount"), money(book.overdue), "overdue-amount", color="negative")
    columns = [("key", "servicing.bucket", "left"), ("loans", "servicing.count", "right"),
               ("principal", "servicing.balance", "right"), ("overdue", "servicing.overdue_amount", "right"),
               ("provision", "servicing.provision", "right")]
    with ui.row().classes("w-full gap-4 no-wrap items-start"):
        with ui.card().classes("flex-1").props("flat bordered"):
            ui.echart(bucket_chart_options(book.by_bucket)).classes("w-full h-72").props(
                'data-testid="bucket-chart"')
            simple_table(columns, slice_rows(book.by_bucket, None), "bucket-table")
        with ui.card().classes("flex-1").props("flat bordered"):
            ui.echart(class_chart_options(book.by_class)).classes("w-full h-72").props('data-testid="class-chart"')
            simple_table([("key", "servicing.class", "left"), *columns[1:]], slice_rows(book.by_class,
                                                                                         "servicing.class"),
                         "class-table")
    with ui.card().classes("w-full").props("flat bordered"):
        if points:
            ui.echart(trend_chart_options(points)).classes("w-full h-72").props('data-testid="trend-chart"')
        else:
            ui.label(t("servicing.trend")).classes("text-subtitle1")
            ui.label(t("servicing.trend_empty")).classes("text-grey-7").props('data-testid="trend-empty"')

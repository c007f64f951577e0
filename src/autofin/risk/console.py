"""Console pages of the model workbench (风险管理 › 模型): the model list, a model's file (held-out metrics, ROC, KS,
calibration and feature-importance charts, the scorecard's bin table, approval by a second person, promotion),
training from an uploaded CSV as a background job with a progress bar, the PSI monitor, and a "score one applicant"
form that shows PD, score, grade and the reasons in words.

Every read and action goes through the risk use cases (which check the permission again) in its own short unit of
work (``PageContext.read`` / ``PageContext.call``); training runs in a background thread the page polls.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from autofin.console import i18n
from autofin.console.frame import PRIMARY, console_page
from autofin.console.i18n import t
from autofin.console.session import PageContext
from autofin.console.widgets import Column, DataTable, RowAction, confirm, fmt_time, section_title
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.risk import permissions as perm
from autofin.risk import service, training
from autofin.risk.modelling.psi import WARNING_THRESHOLD as WARNING

GROUP = "risk"
PSI_WATCH = 0.10

i18n.MESSAGES.update({
    "risk.models": ("模型管理", "Risk models"),
    "risk.model_detail": ("模型详情", "Model details"),
    "risk.train": ("训练模型", "Train a model"),
    "risk.psi": ("模型稳定性监控", "Stability (PSI) monitor"),
    "risk.score": ("单笔评分", "Score one applicant"),
    "risk.name": ("模型名称", "Model name"),
    "risk.number": ("版本", "Version"),
    "risk.kind": ("类型", "Kind"),
    "risk.kind.pd": ("违约概率+评分卡", "PD model + scorecard"),
    "risk.kind.valuation": ("车辆估值", "Vehicle valuation"),
    "risk.kind.scorecard": ("评分卡", "Scorecard"),
    "risk.status": ("状态", "Status"),
    "risk.status.draft": ("草稿", "Draft"),
    "risk.status.approved": ("已审批", "Approved"),
    "risk.status.production": ("生产中", "In production"),
    "risk.status.retired": ("已下线", "Retired"),
    "risk.target": ("目标列", "Target column"),
    "risk.rows": ("训练行数", "Training rows"),
    "risk.trained_by": ("训练人", "Trained by"),
    "risk.trained_at": ("训练时间", "Trained at"),
    "risk.approved_by": ("审批人", "Approved by"),
    "risk.key_metric": ("验证指标", "Held-out metric"),
    "risk.data_hash": ("数据指纹 (SHA-256)", "Data fingerprint (SHA-256)"),
    "risk.approve": ("审批通过", "Approve"),
    "risk.promote": ("上线", "Promote to production"),
    "risk.retire": ("下线", "Retire"),
    "risk.approve_hint": ("须由训练人以外的第二人审批", "A second person, not the trainer, must approve"),
    "risk.approved": ("模型已审批", "Model approved"),
    "risk.promoted": ("模型已上线", "Model is in production"),
    "risk.retired": ("模型已下线", "Model retired"),
    "risk.no_model": ("请选择一个模型", "Choose a model"),
    "risk.metrics": ("验证集指标（未参与训练的样本）", "Held-out metrics (rows never trained on)"),
    "risk.pd_model": ("违约概率模型", "PD model"),
    "risk.scorecard": ("评分卡", "Scorecard"),
    "risk.auc": ("AUC", "AUC"),
    "risk.ks": ("KS", "KS"),
    "risk.gini": ("基尼系数", "Gini"),
    "risk.mape": ("平均绝对百分比误差", "MAPE"),
    "risk.median_ape": ("误差中位数", "Median APE"),
    "risk.within_10": ("误差 10% 以内占比", "Within 10 %"),
    "risk.coverage": ("区间覆盖率", "Interval coverage"),
    "risk.chart.roc": ("ROC 曲线", "ROC curve"),
    "risk.chart.ks": ("KS 曲线", "KS curve"),
    "risk.chart.calibration": ("校准：预测违约率与实际违约率", "Calibration: predicted against observed default rate"),
    "risk.chart.importance": ("特征重要性（增益占比）", "Feature importance (share of gain)"),
    "risk.chart.fpr": ("误拒率（好客户）", "False-positive rate (goods)"),
    "risk.chart.tpr": ("命中率（坏客户）", "True-positive rate (bads)"),
    "risk.chart.population": ("按风险从高到低覆盖的客户占比", "Share of applicants, riskiest first"),
    "risk.chart.bads": ("累计坏客户占比", "Cumulative share of bads"),
    "risk.chart.goods": ("累计好客户占比", "Cumulative share of goods"),
    "risk.chart.decile": ("预测分组（十分位）", "Predicted decile"),
    "risk.chart.predicted": ("预测违约率", "Predicted PD"),
    "risk.chart.observed": ("实际违约率", "Observed default rate"),
    "risk.chart.random": ("随机", "Random"),
    "risk.bin_table": ("评分卡分箱表", "Scorecard bin table"),
    "risk.bin.feature": ("特征", "Feature"),
    "risk.bin.bin": ("分箱", "Bin"),
    "risk.bin.count": ("样本数", "Rows"),
    "risk.bin.bad_rate": ("坏账率", "Bad rate"),
    "risk.bin.woe": ("WoE", "WoE"),
    "risk.bin.iv": ("IV", "IV"),
    "risk.bin.points": ("分值", "Points"),
    "risk.grades": ("评级与分数线", "Grades and cut-offs"),
    "risk.grade": ("评级", "Grade"),
    "risk.min_score": ("最低分", "Minimum score"),
    "risk.segments": ("分群误差", "Errors by segment"),
    "risk.segment": ("分群", "Segment"),
    "risk.upload": ("上传训练数据 CSV", "Upload the training CSV"),
    "risk.upload_hint": (
        "UTF-8 编码、首行为表头；违约模型的目标列为 0/1（1 = 违约），估值模型的目标列为价格。",
        "UTF-8 with a header row; for a PD model the target is 0/1 (1 = default), for valuation it is the price.",
    ),
    "risk.file_chosen": ("已选择文件：{name}（{size} KB）", "File chosen: {name} ({size} KB)"),
    "risk.no_file": ("请先上传 CSV 文件", "Upload a CSV file first"),
    "risk.id_column": ("编号列（可选）", "Id column (optional)"),
    "risk.drop": ("排除的列（逗号分隔，如事后变量）", "Columns to leave out (comma-separated, e.g. leaks)"),
    "risk.max_rounds": ("最多迭代轮数", "Most boosting rounds"),
    "risk.start_training": ("开始训练", "Start training"),
    "risk.training_started": ("训练已在后台开始", "Training started in the background"),
    "risk.jobs": ("训练任务", "Training jobs"),
    "risk.job.status.queued": ("排队中", "Queued"),
    "risk.job.status.running": ("训练中", "Running"),
    "risk.job.status.succeeded": ("已完成", "Done"),
    "risk.job.status.failed": ("失败", "Failed"),
    "risk.job.stage": ("阶段", "Stage"),
    "risk.job.stage.queued": ("排队", "queued"),
    "risk.job.stage.reading": ("读取数据", "reading the data"),
    "risk.job.stage.pd": ("训练违约模型", "boosting the PD model"),
    "risk.job.stage.scorecard": ("训练评分卡", "fitting the scorecard"),
    "risk.job.stage.valuation": ("训练估值模型", "boosting the valuation model"),
    "risk.job.stage.interval": ("计算预测区间", "calibrating the interval"),
    "risk.job.stage.register": ("保存并登记", "saving and registering"),
    "risk.job.stage.done": ("完成", "done"),
    "risk.job.stage.failed": ("失败", "failed"),
    "risk.job.file": ("文件", "File"),
    "risk.job.progress": ("进度", "Progress"),
    "risk.job.open_model": ("查看模型", "Open the model"),
    "risk.job.started_at": ("提交时间", "Submitted at"),
    "risk.psi.value": ("PSI", "PSI"),
    "risk.psi.rows": ("评分笔数", "Scores compared"),
    "risk.psi.status": ("结论", "Verdict"),
    "risk.psi.status.stable": ("稳定", "Stable"),
    "risk.psi.status.watch": ("关注", "Watch"),
    "risk.psi.status.warning": ("预警", "Warning"),
    "risk.psi.checked_at": ("检查时间", "Checked at"),
    "risk.psi.check_now": ("立即检查", "Check now"),
    "risk.psi.none": ("尚无生产评分，暂无法计算 PSI", "No production scores yet; PSI cannot be computed"),
    "risk.psi.warning": (
        "预警：最近评分分布与训练时相比偏移明显（PSI {psi} > 0.25），请复核模型是否需要重新训练。",
        "Warning: recent scores have shifted from the training distribution (PSI {psi} > 0.25); review whether the "
        "model needs retraining.",
    ),
    "risk.psi.chart": ("PSI 变化趋势", "PSI over time"),
    "risk.psi.no_models": ("没有已上线的违约模型", "No PD model is in production"),
    "risk.score.model": ("生产模型", "Production model"),
    "risk.score.subject": ("申请编号（可选）", "Application id (optional)"),
    "risk.score.submit": ("评分", "Score"),
    "risk.score.pd": ("违约概率", "PD"),
    "risk.score.points": ("评分", "Score"),
    "risk.score.grade": ("评级", "Grade"),
    "risk.score.reasons": ("主要风险原因", "Main reasons for the risk"),
    "risk.score.no_reasons": ("没有推高风险的因素", "Nothing raised the risk"),
    "risk.score.missing": ("未填写的输入：{names}", "Inputs left empty: {names}"),
    "risk.score.logged": ("评分已记录（模型 {model} v{number}，记录号 {log}）",
                          "Score logged (model {model} v{number}, log {log})"),
    "risk.score.predicted": ("估值", "Estimated value"),
    "risk.score.interval": ("90% 预测区间", "90 % prediction interval"),
})


def register_pages() -> None:
    console_page("/risk/models", title_key="risk.models", permission=perm.MODEL_VIEW, group=GROUP, order=10,
                 icon="insights")(models_page)
    console_page("/risk/models/detail", title_key="risk.model_detail", permission=perm.MODEL_VIEW,
                 icon="insights")(model_detail_page)
    console_page("/risk/train", title_key="risk.train", permission=perm.MODEL_TRAIN, group=GROUP, order=20,
                 icon="model_training")(train_page)
    console_page("/risk/psi", title_key="risk.psi", permission=perm.MODEL_VIEW, group=GROUP, order=30,
                 icon="monitor_heart")(psi_page)
    console_page("/risk/score", title_key="risk.score", permission=perm.MODEL_SCORE, group=GROUP, order=40,
                 icon="calculate")(score_page)


# ---- helpers -------------------------------------------------------------------------------------------------


def _query(name: str) -> str | None:
    try:
        value = ui.context.client.request.query_params.get(name)
    except (AttributeError, RuntimeError):
        return None
    return str(value) if value else None


def _label(prefix: str, value: Any) -> str:
    key = f"{prefix}.{value}"
    return t(key) if key in i18n.MESSAGES else str(value or "—")


def _pct(value: Any, digits: int = 1) -> str:
    return "—" if value is None else f"{float(value) * 100:.{digits}f}%"


def _num(value: Any, digits: int = 4) -> str:
    return "—" if value is None else f"{float(value):.{digits}f}"


def _key_metric(kind: str, summary: dict[str, Any]) -> str:
    if kind == "valuation":
        return f"MAPE {_pct(summary.get('mape'), 2)}"
    return f"AUC {_num(summary.get('pd_auc'), 3)} · {t('risk.scorecard')} {_num(summary.get('scorecard_auc'), 3)}"


def _metric_card(title: str, value: str, testid: str) -> None:
    with ui.card().classes("min-w-[9rem]").props("flat bordered"), ui.column().classes("gap-0"):
        ui.label(title).classes("text-grey-7 text-sm")
        ui.label(value).classes("text-h6 text-weight-bold").props(f'data-testid="{testid}"')


def _chart(options: dict[str, Any], testid: str, height: str = "h-72") -> None:
    base = {"animation": False, "tooltip": {"trigger": "axis"}, "grid": {"left": 56, "right": 24, "top": 48,
                                                                          "bottom": 48}}
    ui.echart({**base, **options}).classes(f"w-full {height}").props(f'data-testid="{testid}"')


def _title(text: str) -> dict[str, Any]:
    return {"text": text, "left": 0, "textStyle": {"fontSize": 14}}


def roc_options(pd_roc: list[dict[str, float]], card_roc: list[dict[str, float]] | None) -> dict[str, Any]:
    series = [{"name": t("risk.pd_model"), "type": "line", "showSymbol": False, "itemStyle": {"color": PRIMARY},
               "data": [[p["fpr"], p["tpr"]] for p in pd_roc]}]
    if card_roc:
        series.append({"name": t("risk.scorecard"), "type": "line", "showSymbol": False,
                       "itemStyle": {"color": "#e8a33d"}, "data": [[p["fpr"], p["tpr"]] for p in card_roc]})
    series.append({"name": t("risk.chart.random"), "type": "line", "showSymbol": False,
                   "lineStyle": {"type": "dashed", "color": "#999"}, "data": [[0, 0], [1, 1]]})
    return {"title": _title(t("risk.chart.roc")), "legend": {"top": 0, "right": 0},
            "xAxis": {"type": "value", "min": 0, "max": 1, "name": t("risk.chart.fpr"), "nameLocation": "middle",
                      "nameGap": 28},
            "yAxis": {"type": "value", "min": 0, "max": 1, "name": t("risk.chart.tpr"), "nameLocation": "middle",
                      "nameGap": 34}, "series": series}


def ks_options(roc: list[dict[str, float]], bad_rate: float) -> dict[str, Any]:
    """The KS chart from the ROC points: cumulative bads and goods against the share of applicants flagged."""
    share = [p["tpr"] * bad_rate + p["fpr"] * (1 - bad_rate) for p in roc]
    gaps = [p["tpr"] - p["fpr"] for p in roc]
    best = max(range(len(gaps)), key=lambda i: gaps[i]) if gaps else 0
    return {"title": _title(t("risk.chart.ks")), "legend": {"top": 0, "right": 0},
            "xAxis": {"type": "value", "min": 0, "max": 1, "name": t("risk.chart.population"),
                      "nameLocation": "middle", "nameGap": 28},
            "yAxis": {"type": "value", "min": 0, "max": 1},
            "series": [
                {"name": t("risk.chart.bads"), "type": "line", "showSymbol": False, "itemStyle": {"color": "#c62828"},
                 "data": [[s, p["tpr"]] for s, p in zip(share, roc, strict=True)],
                 "markLine": {"symbol": "none", "label": {"formatter": f"KS {gaps[best]:.3f}" if gaps else ""},
                              "data": [[{"coord": [share[best], roc[best]["fpr"]]},
                                        {"coord": [share[best], roc[best]["tpr"]]}]] if gaps else []}},
                {"name": t("risk.chart.goods"), "type": "line", "showSymbol": False, "itemStyle": {"color": "#2e7d32"},
                 "data": [[s, p["fpr"]] for s, p in zip(share, roc, strict=True)]},
            ]}


def calibration_options(table: list[dict[str, float]]) -> dict[str, Any]:
    return {"title": _title(t("risk.chart.calibration")), "legend": {"top": 0, "right": 0},
            "xAxis": {"type": "category", "name": t("risk.chart.decile"), "nameLocation": "middle", "nameGap": 28,
                      "data": [str(r["bin"]) for r in table]},
            "yAxis": {"type": "value"},
            "series": [
                {"name": t("risk.chart.predicted"), "type": "bar", "itemStyle": {"color": PRIMARY},
                 "data": [round(r["predicted"], 4) for r in table]},
                {"name": t("risk.chart.observed"), "type": "bar", "itemStyle": {"color": "#e8a33d"},
                 "data": [round(r["observed"], 4) for r in table]},
            ]}


def importance_options(rows: list[dict[str, Any]], top: int = 15) -> dict[str, Any]:
    shown = list(reversed(rows[:top]))
    return {"title": _title(t("risk.chart.importance")), "grid": {"left": 230, "right": 24, "top": 40, "bottom": 24},
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "xAxis": {"type": "value"},
            "yAxis": {"type": "category", "data": [r["feature"] for r in shown],
                      "axisLabel": {"width": 220, "overflow": "truncate"}},
            "series": [{"type": "bar", "itemStyle": {"color": PRIMARY},
                        "data": [round(float(r["gain_share"]), 4) for r in shown]}]}


def psi_options(checks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"title": _title(t("risk.psi.chart")),
            "xAxis": {"type": "category", "data": [c["at"] for c in checks]},
            "yAxis": {"type": "value", "min": 0},
            "series": [{"name": "PSI", "type": "line", "itemStyle": {"color": PRIMARY},
                        "data": [round(c["psi"], 4) for c in checks],
                        "markLine": {"symbol": "none", "data": [
                            {"yAxis": WARNING, "lineStyle": {"color": "#c62828"},
                             "label": {"formatter": t("risk.psi.status.warning") + " 0.25"}},
                            {"yAxis": PSI_WATCH, "lineStyle": {"color": "#e8a33d", "type": "dashed"},
                             "label": {"formatter": t("risk.psi.status.watch") + " 0.10"}},
                        ]}}]}


def _simple_table(columns: list[tuple[str, str]], rows: list[dict[str, Any]], testid: str) -> None:
    table = ui.table(columns=[{"name": n, "label": t(k), "field": n, "align": "left"} for n, k in columns],
                     rows=rows).props(f'flat bordered dense data-testid="{testid}" no-data-label="{t("common.empty")}"')
    table.classes("w-full")
    table.pagination = {"rowsPerPage": 0}


# ---- the model list ------------------------------------------------------------------------------------------


def models_page(ctx: PageContext) -> None:
    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = service.list_models(uow, actor, q=q, page=page, size=size)
            return [{"id": m.id, "name": m.name, "number": f"v{m.number}", "kind": _label("risk.kind", m.kind),
                     "status": _label("risk.status", m.status), "metric": _key_metric(m.kind, m.metrics.get(
                         "summary", {})), "trained_by": m.trained_by, "trained_at": fmt_time(m.trained_at),
                     "approved_by": m.approved_by or "—"} for m in rows], total

        return ctx.read(query, ([], 0))

    def toolbar() -> None:
        if ctx.actor.can(perm.MODEL_TRAIN):
            ui.button(t("risk.train"), icon="model_training", on_click=lambda: ui.navigate.to("/risk/train")).props(
                'unelevated color=primary data-testid="go-train"')

    with ui.card().classes("w-full").props("flat bordered"):
        DataTable(
            columns=[Column("name", "risk.name"), Column("number", "risk.number"), Column("kind", "risk.kind"),
                     Column("status", "risk.status"), Column("metric", "risk.key_metric"),
                     Column("trained_by", "risk.trained_by"), Column("trained_at", "risk.trained_at"),
                     Column("approved_by", "risk.approved_by")],
            fetch=fetch,
            actions=[RowAction("open", "common.details",
                               lambda row: ui.navigate.to(f"/risk/models/detail?id={row['id']}"), icon="visibility")],
            toolbar=toolbar,
        )


# ---- a model's file ------------------------------------------------------------------------------------------


def model_detail_page(ctx: PageContext) -> None:
    raw = _query("id")
    model_id = int(raw) if raw and raw.isdigit() else None
    if model_id is None:
        ui.label(t("risk.no_model"))
        return

    def query(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        m = service.get_model(uow, actor, model_id)
        data = {c: getattr(m, c) for c in ("id", "name", "number", "kind", "status", "target", "data_sha256",
                                           "data_rows", "trained_by", "trained_at", "approved_by", "approved_at")}
        data["metrics"] = m.metrics
        data["table"] = service.scorecard_table(uow, actor, model_id) if m.kind == "pd" else []
        return data

    model = ctx.read(query, None)
    if model is None:
        return
    metrics: dict[str, Any] = model["metrics"]
    with ui.row().classes("w-full items-center gap-3"):
        ui.label(f"{model['name']} v{model['number']}").classes("af-page-title")
        ui.badge(_label("risk.status", model["status"]),
                 color={"production": "positive", "draft": "grey-7", "approved": "primary"}.get(model["status"],
                                                                                               "grey")).props(
            'data-testid="model-status"')
        ui.label(_label("risk.kind", model["kind"])).classes("text-grey-7")
        ui.space()
        _actions(ctx, model)
    with ui.row().classes("gap-6 text-body2 text-grey-8"):
        ui.label(f"{t('risk.target')}: {model['target']}")
        ui.label(f"{t('risk.rows')}: {model['data_rows']:,}")
        ui.label(f"{t('risk.trained_by')}: {model['trained_by']} · {fmt_time(model['trained_at'])}")
        if model["approved_by"]:
            ui.label(f"{t('risk.approved_by')}: {model['approved_by']} · {fmt_time(model['approved_at'])}")
        ui.label(f"{t('risk.data_hash')}: {model['data_sha256'][:16]}…").tooltip(model["data_sha256"])
    if model["kind"] == "valuation":
        _valuation_report(metrics)
    else:
        _credit_report(metrics, model["table"])


def _actions(ctx: PageContext, model: dict[str, Any]) -> None:
    if not ctx.actor.can(perm.MODEL_APPROVE):
        return

    def act(use_case: Any, message_key: str) -> None:
        if ctx.call(lambda uow, actor: use_case(uow, actor, model["id"]).id, success=t(message_key)) is not None:
            ui.navigate.to(f"/risk/models/detail?id={model['id']}")

    if model["status"] == "draft":
        ui.button(t("risk.approve"), icon="verified",
                  on_click=lambda: act(service.approve_model, "risk.approved")).props(
            'unelevated color=positive data-testid="approve"').tooltip(t("risk.approve_hint"))
    if model["status"] == "approved":
        ui.button(t("risk.promote"), icon="rocket_launch",
                  on_click=lambda: act(service.promote_model, "risk.promoted")).props(
            'unelevated color=primary data-testid="promote"')
    if model["status"] != "retired":
        ui.button(t("risk.retire"), icon="archive", on_click=lambda: confirm(
            t("common.are_you_sure"), lambda: act(service.retire_model, "risk.retired"), danger=True)).props(
            'flat color=negative data-testid="retire"')


def _credit_report(metrics: dict[str, Any], table: list[dict[str, Any]]) -> None:
    pd_report, card = metrics.get("pd", {}), metrics.get("scorecard", {})
    section_title(t("risk.metrics"))
    with ui.row().classes("w-full gap-3"):
        for part, report in (("pd", pd_report), ("scorecard", card)):
            name = t("risk.pd_model") if part == "pd" else t("risk.scorecard")
            for key in ("auc", "ks", "gini"):
                _metric_card(f"{name} {t('risk.' + key)}", _num(report.get(key), 3), f"metric-{part}-{key}")
    if pd_report.get("roc"):
        with ui.grid(columns=2).classes("w-full gap-4"):
            with ui.card().props("flat bordered"):
                _chart(roc_options(pd_report["roc"], card.get("roc")), "chart-roc")
            with ui.card().props("flat bordered"):
                _chart(ks_options(pd_report["roc"], float(pd_report.get("bad_rate", 0.0))), "chart-ks")
            with ui.card().props("flat bordered"):
                _chart(calibration_options(pd_report.get("calibration", [])), "chart-calibration")
            with ui.card().props("flat bordered"):
                _chart(importance_options(pd_report.get("importance", [])), "chart-importance", "h-96")
    grades = card.get("grades", [])
    if grades:
        section_title(t("risk.grades"))
        _simple_table([("grade", "risk.grade"), ("count", "risk.bin.count"), ("bad_rate", "risk.bin.bad_rate")],
                      [{"grade": g["grade"], "count": g["count"], "bad_rate": _pct(g["bad_rate"])} for g in grades],
                      "grades-table")
    if table:
        section_title(t("risk.bin_table"))
        _simple_table([("feature", "risk.bin.feature"), ("bin", "risk.bin.bin"), ("count", "risk.bin.count"),
                       ("bad_rate", "risk.bin.bad_rate"), ("woe", "risk.bin.woe"), ("iv", "risk.bin.iv"),
                       ("points", "risk.bin.points")],
                      [{**r, "bad_rate": _pct(r["bad_rate"])} for r in table], "bin-table")


def _valuation_report(metrics: dict[str, Any]) -> None:
    section_title(t("risk.metrics"))
    with ui.row().classes("w-full gap-3"):
        _metric_card(t("risk.mape"), _pct(metrics.get("mape"), 2), "metric-mape")
        _metric_card(t("risk.median_ape"), _pct(metrics.get("median_ape"), 2), "metric-median-ape")
        _metric_card(t("risk.within_10"), _pct(metrics.get("within_10_percent")), "metric-within-10")
        _metric_card(t("risk.coverage"), _pct(metrics.get("interval_coverage")), "metric-coverage")
    if metrics.get("importance"):
        with ui.card().classes("w-full").props("flat bordered"):
            _chart(importance_options(metrics["importance"]), "chart-importance", "h-96")
    for name, rows in (metrics.get("segments") or {}).items():
        section_title(f"{t('risk.segments')}: {name}")
        _simple_table([("segment", "risk.segment"), ("count", "risk.bin.count"), ("mape", "risk.mape"),
                       ("median_ape", "risk.median_ape")],
                      [{**r, "mape": _pct(r["mape"], 2), "median_ape": _pct(r["median_ape"], 2)} for r in rows[:12]],
                      f"segments-{name}")


# ---- training ------------------------------------------------------------------------------------------------


def train_page(ctx: PageContext) -> None:
    upload_state: dict[str, Any] = {"data": None, "name": None}
    ui.label(t("risk.upload_hint")).classes("text-grey-7")
    with ui.card().classes("w-full").props("flat bordered"), ui.row().classes("w-full items-start gap-4"):
        with ui.column().classes("gap-2"):
            chosen = ui.label("").classes("text-body2").props('data-testid="file-chosen"')

            async def handle(event: Any) -> None:
                upload_state["data"] = await event.file.read()
                upload_state["name"] = event.file.name
                chosen.text = t("risk.file_chosen", name=event.file.name,
                                size=f"{len(upload_state['data']) / 1024:,.0f}")
                fields["file"].error = None

            upload = ui.upload(on_upload=handle, auto_upload=True, label=t("risk.upload"), max_files=1).props(
                'accept=".csv,text/csv" flat bordered data-testid="training-upload"').classes("w-80")
        with ui.column().classes("gap-2 flex-1"):
            with ui.row().classes("w-full gap-3"):
                name = ui.input(t("risk.name"), placeholder="lt-pd").props(
                    'outlined dense data-testid="train-name"').classes("w-56")
                kind = ui.select({"pd": t("risk.kind.pd"), "valuation": t("risk.kind.valuation")}, value="pd",
                                 label=t("risk.kind")).props('outlined dense data-testid="train-kind"').classes("w-56")
                target = ui.input(t("risk.target"), placeholder="loan_default").props(
                    'outlined dense data-testid="train-target"').classes("w-56")
            with ui.row().classes("w-full gap-3"):
                id_column = ui.input(t("risk.id_column")).props('outlined dense data-testid="train-id"').classes(
                    "w-56")
                drop = ui.input(t("risk.drop")).props('outlined dense data-testid="train-drop"').classes("w-80")
                rounds = ui.number(t("risk.max_rounds"), value=2000, min=10, max=5000, step=10, format="%d").props(
                    'outlined dense data-testid="train-rounds"').classes("w-40")
            fields: dict[str, Any] = {"file": upload, "name": name, "kind": kind, "target": target,
                                      "id_column": id_column, "drop": drop, "max_rounds": rounds}

            def submit() -> None:
                if upload_state["data"] is None:
                    ui.notify(t("risk.no_file"), type="warning")
                    return
                cmd = service.TrainCommand(
                    name=(name.value or "").strip(), kind=kind.value or "pd", target=(target.value or "").strip(),
                    id_column=(id_column.value or "").strip() or None,
                    drop=tuple(c.strip() for c in (drop.value or "").split(",") if c.strip()),
                    max_rounds=int(rounds.value or 2000))
                started: dict[str, Any] = {}

                def use_case(uow: UnitOfWork, actor: Actor) -> int:
                    job = training.start_training(uow, actor, cmd, upload_state["data"], upload_state["name"])
                    started["actor"] = actor
                    return job.id

                job_id = ctx.call(use_case, fields=fields, success=t("risk.training_started"))
                if job_id is not None:
                    training.launch(ctx.autofin, job_id, started["actor"])
                    upload_state.update(data=None, name=None)
                    upload.reset()
                    chosen.text = ""
                    jobs.refresh()

            ui.button(t("risk.start_training"), icon="play_arrow", on_click=submit).props(
                'unelevated color=primary data-testid="start-training"')

    section_title(t("risk.jobs"))

    @ui.refreshable
    def jobs() -> None:
        def query(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
            rows, _ = training.list_training_jobs(uow, actor, page=1, size=10)
            return [{"id": j.id, "name": j.name, "kind": j.kind, "status": j.status, "stage": j.stage,
                     "percent": j.percent, "file": j.file_name, "rows": j.file_rows, "model_id": j.model_id,
                     "error": i18n.pick(j.error_zh or "", j.error_en or ""), "at": fmt_time(j.created_at)}
                    for j in rows]

        rows = ctx.read(query, [])
        if not rows:
            ui.label(t("common.empty")).classes("text-grey-6")
        for job in rows:
            _job_card(job)
        if any(j["status"] in ("queued", "running") for j in rows):
            ui.timer(1.0, jobs.refresh, once=True)

    jobs()


def _job_card(job: dict[str, Any]) -> None:
    color = {"succeeded": "positive", "failed": "negative"}.get(job["status"], "primary")
    props = f'flat bordered data-testid="job-{job["id"]}" data-status="{job["status"]}"'
    with ui.card().classes("w-full").props(props):
        with ui.row().classes("w-full items-center gap-3"):
            ui.label(f"#{job['id']} {job['name']}").classes("text-subtitle1 text-weight-medium")
            ui.badge(_label("risk.job.status", job["status"]), color=color).props('data-testid="job-status"')
            ui.label(f"{t('risk.job.file')}: {job['file']} ({job['rows']:,})").classes("text-grey-7 text-sm")
            ui.label(f"{t('risk.job.stage')}: {_label('risk.job.stage', job['stage'])}").classes("text-grey-7 text-sm")
            ui.space()
            ui.label(job["at"]).classes("text-grey-6 text-sm")
            if job["model_id"]:
                ui.button(t("risk.job.open_model"), icon="open_in_new",
                          on_click=lambda mid=job["model_id"]: ui.navigate.to(f"/risk/models/detail?id={mid}")).props(
                    'flat dense data-testid="open-model"')
        ui.linear_progress(value=job["percent"] / 100, show_value=False, color=color).props(
            f'data-testid="job-progress" data-percent="{job["percent"]}"')
        if job["error"]:
            ui.label(job["error"]).classes("text-negative text-body2").props('data-testid="job-error"')


# ---- PSI monitor ---------------------------------------------------------------------------------------------


def _production_models(ctx: PageContext, kinds: tuple[str, ...]) -> dict[int, str]:
    def query(uow: UnitOfWork, actor: Actor) -> dict[int, str]:
        rows, _ = service.list_models(uow, actor, status="production", page=1, size=200)
        return {m.id: f"{m.name} v{m.number}" for m in rows if m.kind in kinds}

    return ctx.read(query, {})


def psi_page(ctx: PageContext) -> None:
    models = _production_models(ctx, ("pd",))
    if not models:
        ui.label(t("risk.psi.no_models")).classes("text-grey-7").props('data-testid="psi-none"')
        return
    state = {"model": next(iter(models))}
    with ui.row().classes("items-center gap-3"):
        ui.select(models, value=state["model"], label=t("risk.score.model"),
                  on_change=lambda e: (state.update(model=e.value), view.refresh())).props(
            'outlined dense data-testid="psi-model"').classes("w-72")

        def check_now() -> None:
            outcome = ctx.call(
                lambda uow, actor: "checked" if service.check_psi(uow, actor, state["model"]) else "none")
            if outcome == "none":
                ui.notify(t("risk.psi.none"), type="warning")
            view.refresh()

        ui.button(t("risk.psi.check_now"), icon="refresh", on_click=check_now).props(
            'unelevated color=primary data-testid="psi-check"')

    @ui.refreshable
    def view() -> None:
        def query(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
            return [{"id": c.id, "psi": c.psi, "rows": c.rows, "status": c.status, "at": fmt_time(c.checked_at)}
                    for c in reversed(service.psi_history(uow, actor, state["model"]))]

        checks = ctx.read(query, [])
        if not checks:
            ui.label(t("risk.psi.none")).classes("text-grey-7")
            return
        latest = checks[-1]
        if latest["psi"] > WARNING:
            with ui.card().classes("w-full bg-red-1").props('flat bordered data-testid="psi-warning"'):
                ui.label(t("risk.psi.warning", psi=f"{latest['psi']:.3f}")).classes("text-negative")
        with ui.card().classes("w-full").props("flat bordered"):
            _chart(psi_options(checks), "chart-psi")
        _simple_table([("at", "risk.psi.checked_at"), ("psi", "risk.psi.value"), ("rows", "risk.psi.rows"),
                       ("status", "risk.psi.status")],
                      [{**c, "psi": f"{c['psi']:.4f}", "status": _label("risk.psi.status", c["status"])}
                       for c in reversed(checks)], "psi-table")

    view()


# ---- score one applicant -------------------------------------------------------------------------------------


def score_page(ctx: PageContext) -> None:
    models = _production_models(ctx, ("pd", "valuation"))
    if not models:
        ui.label(t("risk.psi.no_models")).classes("text-grey-7")
        return
    state: dict[str, Any] = {"model": next(iter(models))}
    ui.select(models, value=state["model"], label=t("risk.score.model"),
              on_change=lambda e: (state.update(model=e.value), form.refresh())).props(
        'outlined dense data-testid="score-model"').classes("w-72")

    @ui.refreshable
    def form() -> None:
        def query(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
            model = service.get_model(uow, actor, state["model"])
            return {"name": model.name, "kind": model.kind,
                    "inputs": service.model_inputs(uow, actor, state["model"])}

        spec = ctx.read(query, None)
        if spec is None:
            return
        inputs: dict[str, Any] = {}
        with ui.card().classes("w-full").props("flat bordered"):
            with ui.grid(columns=4).classes("w-full gap-3"):
                for item in spec["inputs"]:
                    if item["kind"] == "categorical" and item["categories"]:
                        inputs[item["name"]] = ui.select(item["categories"], label=item["name"], clearable=True,
                                                         with_input=True).props(
                            f'outlined dense data-field="{item["name"]}"')
                    else:
                        inputs[item["name"]] = ui.input(item["name"]).props(
                            f'outlined dense data-field="{item["name"]}"')
            subject = ui.input(t("risk.score.subject")).props('outlined dense data-testid="score-subject"').classes(
                "w-64")

            def submit() -> None:
                values = {k: (v.value.strip() if isinstance(v.value, str) else v.value) for k, v in inputs.items()}
                values = {k: v for k, v in values.items() if v not in (None, "")}
                outcome = ctx.call(lambda uow, actor: _score(uow, actor, spec["name"], values,
                                                             (subject.value or "").strip() or None),
                                   fields={"inputs": subject})
                if outcome is not None:
                    show(outcome)

            ui.button(t("risk.score.submit"), icon="calculate", on_click=submit).props(
                'unelevated color=primary data-testid="score-submit"')
        result_box = ui.column().classes("w-full")

        def show(outcome: dict[str, Any]) -> None:
            result_box.clear()
            output = outcome["output"]
            with result_box, ui.card().classes("w-full").props('flat bordered data-testid="score-result"'):
                with ui.row().classes("gap-3"):
                    if "pd" in output:
                        _metric_card(t("risk.score.pd"), _pct(output["pd"], 2), "result-pd")
                        _metric_card(t("risk.score.points"), str(output["score"]), "result-score")
                        _metric_card(t("risk.score.grade"), str(output["grade"]), "result-grade")
                    else:
                        _metric_card(t("risk.score.predicted"), f"{output['predicted']:,.0f}", "result-predicted")
                        _metric_card(t("risk.score.interval"), f"{output['low']:,.0f} – {output['high']:,.0f}",
                                     "result-interval")
                if "reasons" in output:
                    ui.label(t("risk.score.reasons")).classes("text-subtitle2")
                    if not output["reasons"]:
                        ui.label(t("risk.score.no_reasons")).classes("text-grey-7")
                    with ui.column().classes("gap-1").props('data-testid="result-reasons"'):
                        for i, reason in enumerate(output["reasons"], start=1):
                            ui.label(f"{i}. {i18n.pick(reason['zh'], reason['en'])}")
                if output.get("missing_inputs"):
                    ui.label(t("risk.score.missing", names=", ".join(output["missing_inputs"][:12]))).classes(
                        "text-grey-6 text-sm")
                ui.label(t("risk.score.logged", model=outcome["model"], number=outcome["number"],
                           log=outcome["log"])).classes("text-grey-6 text-sm").props('data-testid="result-log"')

    form()


def _score(uow: UnitOfWork, actor: Actor, name: str, values: dict[str, Any], subject: str | None) -> dict[str, Any]:
    model, output, log = service.score_one(uow, actor, name, values, subject)
    return {"output": output, "model": model.name, "number": model.number, "log": log.id}

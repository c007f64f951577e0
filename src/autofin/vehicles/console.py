"""Console pages of vehicles and collateral (评估与车辆管理): the vehicle list, a vehicle's file (VIN decode,
insurance, appraisals with LTV, GPS devices, photos and documents), and the mortgage / pledge registry with its
state transitions and the "verify chain" check.

Every page calls ``vehicles.service`` only (through ``console.services``). A refused second lien (409
``vehicles.lien.already_active``) keeps its risk alert: the page commits it, then shows the refusal in a banner.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from autofin.console import i18n
from autofin.console.frame import console_page
from autofin.console.i18n import t
from autofin.console.services import call
from autofin.console.session import PageContext
from autofin.console.widgets import (
    Column,
    DataTable,
    FormField,
    RowAction,
    fmt_date,
    fmt_time,
    form_dialog,
    section_title,
)
from autofin.db.uow import UnitOfWork
from autofin.documents.console import content_url, documents_panel
from autofin.documents.permissions import DOCUMENT_VIEW
from autofin.kernel.actor import Actor
from autofin.kernel.errors import DomainError
from autofin.vehicles import permissions as perm
from autofin.vehicles.errors import LienAlreadyActive
from autofin.vehicles.models import GPS_TRANSITIONS
from autofin.vehicles.schemas import (
    AppraisalCreate,
    GpsDeviceCreate,
    GpsInstall,
    LienCreate,
    LienRegister,
    LoanBind,
    LtvRequest,
    PolicyCreate,
    VehicleCreate,
)

POLICY_KINDS = ("compulsory", "commercial", "vehicle_damage", "third_party", "other")
GPS_STATUSES = ("in_stock", "installed", "removed", "faulty")

# labels of the GPS pages, model dropdown and loan binding (zh-CN, en), added to the console's table on import
i18n.MESSAGES.update({
    "vehicles.gps_devices": ("GPS 设备管理", "GPS devices"),
    "vehicles.gps_search_hint": ("序列号或 IMEI 前缀", "Serial or IMEI prefix"),
    "vehicles.gps_new": ("新增设备", "Add device"),
    "vehicles.gps_install": ("登记安装", "Record installation"),
    "vehicles.gps_install_on": ("安装 {serial}", "Install {serial}"),
    "vehicles.gps_change_status": ("变更状态", "Change status"),
    "vehicles.gps_status_of": ("变更 {serial} 的状态", "Change the status of {serial}"),
    "vehicles.gps_new_status": ("新状态", "New status"),
    "vehicles.gps_device": ("设备", "Device"),
    "vehicles.gps_installer": ("安装人员", "Installer"),
    "vehicles.gps_installed_on": ("安装日期", "Installed on"),
    "vehicles.gps_removed_on": ("拆除日期", "Removed on"),
    "vehicles.gps_photos": ("安装照片", "Photos"),
    "vehicles.gps_photos_hint": ("先在下方“附件”上传照片，再在此选择", "Upload photos under Documents below first"),
    "vehicles.gps_no_stock": ("没有可安装的库存设备，请先新增设备。", "No device in stock: add one first."),
    "vehicles.gps_installations": ("安装记录", "Installations"),
    "vehicles.gps_loan": ("绑定贷款", "Loan"),
    "vehicles.gps_vehicle": ("安装车辆", "Vehicle"),
    "vehicles.gps_imei_hint": ("15位数字（含校验位）", "15 digits with its check digit"),
    "vehicles.gps_sim_hint": ("11位手机号、13位物联网卡号或ICCID", "11-digit number, 13-digit IoT number or ICCID"),
    "vehicles.bind_loan": ("绑定贷款", "Bind to loan"),
    "vehicles.bind_loan_title": ("将本车 GPS 与抵押绑定到贷款", "Bind this car's GPS and lien to a loan"),
    "vehicles.loan_id": ("贷款编号", "Loan ID"),
    "vehicles.bound_loans": ("已绑定贷款：{loans}", "Bound loans: {loans}"),
    "vehicles.no_bound_loan": ("尚未绑定贷款", "No loan bound yet"),
    "vehicles.bound": ("已绑定：{devices} 台设备，抵押 {lien}", "Bound: {devices} device(s), lien {lien}"),
    "vehicles.model_code_hint": ("从数据字典“车型”中选择", "Choose from the data dictionary's vehicle models"),
})


def register_pages() -> None:
    console_page("/vehicles", title_key="vehicles.list", permission=perm.VEHICLE_VIEW, group="vehicles",
                 order=10, icon="directions_car")(vehicles_page)
    console_page("/vehicles/detail", title_key="vehicles.detail", permission=perm.VEHICLE_VIEW,
                 icon="directions_car")(vehicle_detail_page)
    console_page("/vehicles/liens", title_key="vehicles.liens", permission=perm.LIEN_VIEW, group="vehicles",
                 order=20, icon="gavel")(liens_page)
    console_page("/vehicles/gps", title_key="vehicles.gps_devices", permission=perm.VEHICLE_VIEW, group="vehicles",
                 order=30, icon="gps_fixed")(gps_page)


def label_of(prefix: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    key = f"{prefix}.{value}"
    return t(key) if key in i18n.MESSAGES else str(value)


def money(value: Any) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _query_int(name: str) -> int | None:
    try:
        raw = ui.context.client.request.query_params.get(name)
    except (AttributeError, RuntimeError):
        return None
    return int(raw) if raw and raw.isdigit() else None


def _table(columns: list[tuple[str, str]], rows: list[dict[str, Any]], testid: str) -> None:
    table = ui.table(
        columns=[{"name": n, "label": t(k), "field": n, "align": "left"} for n, k in columns], rows=rows, row_key="id",
    ).props(f'flat bordered dense hide-pagination data-testid="{testid}" no-data-label="{t("common.empty")}"')
    table.classes("w-full").pagination = {"rowsPerPage": 0}


def _blank(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in ("", None, [])}


def model_options(ctx: PageContext) -> dict[str, str]:
    """The active vehicle models of the data dictionary (车型), labelled in the user's language with their code."""
    language = i18n.current_language()

    def options(uow: UnitOfWork, a: Actor) -> dict[str, str]:
        models = call("vehicles", "vehicle_models", uow, a)
        names = {m.code: m.label(language) for m in models}
        parents = {m.parent_code for m in models if m.parent_code}
        return {  # a maker that groups models is a heading, not a model: only its models are offered
            m.code: f"{names.get(m.parent_code, '')} {m.label(language)} · {m.code}".strip()
            for m in models if m.code not in parents
        }

    return ctx.read(options, {})


def vehicle_row(v: Any) -> dict[str, Any]:
    return {
        "id": v.id, "vin": v.vin, "maker": v.maker or "—", "model_year": v.model_year or "—", "plate": v.plate or "—",
        "model_code": v.model_code or "—", "condition": label_of("vehicles.condition", v.condition),
        "powertrain": label_of("vehicles.powertrain", v.powertrain), "use": label_of("vehicles.use", v.use),
        "mileage": f"{v.mileage_km:,}", "price": money(v.invoice_price),
        "first_registration": fmt_date(v.first_registration) or "—", "customer_id": v.customer_id or "—",
    }


# ------------------------------------------------------------------------------------------------ list
def vehicles_page(ctx: PageContext) -> None:
    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("vehicles", "list_vehicles", uow, a, q=q, page=page, size=size)
            return [vehicle_row(v) for v in rows], total

        return ctx.read(query, ([], 0))

    def create() -> None:
        fields = [
            FormField("vin", "vehicles.vin", required=True, max_length=24),
            FormField("plate", "vehicles.plate", max_length=12),
            FormField("model_code", "vehicles.model_code", kind="select", options=model_options(ctx),
                      hint_key="vehicles.model_code_hint"),
            FormField("condition", "vehicles.condition", kind="select", required=True, value="new",
                      options={c: label_of("vehicles.condition", c) for c in ("new", "used")}),
            FormField("powertrain", "vehicles.powertrain", kind="select", required=True, value="ice",
                      options={p: label_of("vehicles.powertrain", p) for p in ("ice", "bev", "phev")}),
            FormField("use", "vehicles.use", kind="select", required=True, value="self",
                      options={u: label_of("vehicles.use", u) for u in ("self", "commercial")}),
            FormField("mileage_km", "vehicles.mileage", kind="number", value=0),
            FormField("first_registration", "vehicles.first_registration", kind="date"),
            FormField("invoice_price", "vehicles.invoice_price", hint="150000.00"),
            FormField("customer_id", "vehicles.customer_id", kind="number"),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            body = _blank(values)
            for name in ("mileage_km", "customer_id"):
                if name in body:
                    body[name] = int(body[name])
            created = ctx.call(lambda uow, a: call("vehicles", "create_vehicle", uow, a, VehicleCreate(**body)).id,
                               fields=inputs, success=t("common.saved"))
            if created:
                ui.navigate.to(f"/vehicles/detail?id={created}")
            return bool(created)

        form_dialog(t("vehicles.new"), fields, submit, width="40rem")

    def toolbar() -> None:
        if ctx.actor.can(perm.VEHICLE_MANAGE):
            ui.button(t("vehicles.new"), icon="add", on_click=create).props(
                'unelevated color=primary data-testid="vehicle-new"')

    with ui.card().classes("w-full").props("flat bordered"):
        DataTable(
            columns=[
                Column("vin", "vehicles.vin", classes="text-mono"),
                Column("maker", "vehicles.maker"),
                Column("model_year", "vehicles.model_year"),
                Column("plate", "vehicles.plate"),
                Column("condition", "vehicles.condition"),
                Column("powertrain", "vehicles.powertrain"),
                Column("price", "vehicles.invoice_price", align="right"),
            ],
            fetch=fetch,
            actions=[RowAction("open", "common.details", lambda r: ui.navigate.to(f"/vehicles/detail?id={r['id']}"),
                               icon="open_in_new")],
            toolbar=toolbar,
            search_placeholder_key="vehicles.search_hint",
        )


# ------------------------------------------------------------------------------------------------ detail
def vehicle_detail_page(ctx: PageContext) -> None:
    vehicle_id = _query_int("id")
    row = ctx.read(lambda uow, a: vehicle_row(call("vehicles", "get_vehicle", uow, a, vehicle_id)), None) \
        if vehicle_id else None
    if row is None or vehicle_id is None:
        ui.label(t("vehicles.not_found")).classes("text-negative")
        ui.link(t("vehicles.back_to_list"), "/vehicles")
        return
    if row["model_code"] != "—":  # the dictionary's name of the model next to its code
        row["model_code"] = model_options(ctx).get(row["model_code"], row["model_code"])
    with ui.row().classes("w-full items-center gap-3"):
        ui.button(icon="arrow_back", on_click=lambda: ui.navigate.to("/vehicles")).props("flat round dense")
        ui.label(row["vin"]).classes("text-h6 text-mono").props('data-testid="vehicle-vin"')
        ui.badge(row["powertrain"], color="primary").props("outline")
        ui.badge(row["condition"], color="secondary").props("outline")
    with ui.row().classes("w-full gap-4 items-stretch"):
        with ui.card().classes("flex-1 min-w-[20rem]").props("flat bordered"):
            section_title(t("vehicles.vin_decode"))
            with ui.grid(columns="8rem 1fr").classes("gap-y-1"):
                for key, label in (("maker", "vehicles.maker"), ("model_year", "vehicles.model_year"),
                                   ("plate", "vehicles.plate"), ("model_code", "vehicles.model_code"),
                                   ("use", "vehicles.use"), ("mileage", "vehicles.mileage"),
                                   ("first_registration", "vehicles.first_registration"),
                                   ("price", "vehicles.invoice_price"), ("customer_id", "vehicles.customer_id")):
                    ui.label(t(label)).classes("text-grey-7")
                    ui.label(str(row[key])).props(f'data-testid="vehicle-{key}"')
        appraisals_card(ctx, vehicle_id)
    with ui.row().classes("w-full gap-4 items-start"):
        policies_card(ctx, vehicle_id)
        gps_card(ctx, vehicle_id)
    documents_panel(ctx, "vehicle", vehicle_id, default_kind="vehicle_photo")


def policies_card(ctx: PageContext, vehicle_id: int) -> None:
    @ui.refreshable
    def body() -> None:
        rows = ctx.read(lambda uow, a: [
            {"id": p.id, "insurer": p.insurer, "number": p.policy_number,
             "kind": label_of("vehicles.policy_kind", p.kind), "cover": money(p.cover),
             "period": f"{fmt_date(p.starts_on)} ~ {fmt_date(p.ends_on)}", "beneficiary": p.beneficiary or "—"}
            for p in call("vehicles", "list_policies", uow, a, vehicle_id)], [])
        _table([("insurer", "vehicles.insurer"), ("number", "vehicles.policy_number"), ("kind", "vehicles.policy_kind"),
                ("cover", "vehicles.cover"), ("period", "vehicles.period"),
                ("beneficiary", "vehicles.beneficiary")], rows, "policies")

    def add() -> None:
        fields = [
            FormField("insurer", "vehicles.insurer", required=True, max_length=100),
            FormField("policy_number", "vehicles.policy_number", required=True, max_length=64),
            FormField("kind", "vehicles.policy_kind", kind="select", required=True, value="compulsory",
                      options={k: label_of("vehicles.policy_kind", k) for k in POLICY_KINDS}),
            FormField("cover", "vehicles.cover", required=True, hint="200000.00"),
            FormField("starts_on", "vehicles.starts_on", kind="date", required=True),
            FormField("ends_on", "vehicles.ends_on", kind="date", required=True),
            FormField("beneficiary", "vehicles.beneficiary", max_length=100),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            done = ctx.call(lambda uow, a: call("vehicles", "add_policy", uow, a, vehicle_id,
                                                PolicyCreate(**_blank(values))).id,
                            fields=inputs, success=t("common.saved"))
            if done:
                body.refresh()
            return bool(done)

        form_dialog(t("vehicles.add_policy"), fields, submit)

    with ui.card().classes("flex-1 min-w-[24rem]").props("flat bordered"):
        with ui.row().classes("w-full items-center"):
            section_title(t("vehicles.insurance"))
            ui.space()
            if ctx.actor.can(perm.VEHICLE_MANAGE):
                ui.button(t("vehicles.add_policy"), icon="add", on_click=add).props("flat dense no-caps")
        body()


def appraisals_card(ctx: PageContext, vehicle_id: int) -> None:
    @ui.refreshable
    def body() -> None:
        rows = ctx.read(lambda uow, a: [
            {"id": x.id, "method": label_of("vehicles.appraisal_method", x.method), "value": money(x.value),
             "date": fmt_date(x.appraised_on), "appraiser": x.appraiser, "report": x.report_file or "—"}
            for x in call("vehicles", "list_appraisals", uow, a, vehicle_id)], [])
        _table([("date", "vehicles.appraised_on"), ("method", "vehicles.appraisal_method"),
                ("value", "vehicles.appraisal_value"), ("appraiser", "vehicles.appraiser"),
                ("report", "vehicles.report_file")], rows, "appraisals")

    def appraise() -> None:
        fields = [
            FormField("method", "vehicles.appraisal_method", kind="select", required=True, value="staff",
                      options={m: label_of("vehicles.appraisal_method", m) for m in ("staff", "third_party", "rule")}),
            FormField("value", "vehicles.appraisal_value", hint_key="vehicles.value_hint"),
            FormField("appraised_on", "vehicles.appraised_on", kind="date"),
            FormField("appraiser", "vehicles.appraiser", max_length=100),
            FormField("report_file", "vehicles.report_file", max_length=200),
            FormField("notes", "vehicles.notes", kind="textarea", max_length=2000),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            done = ctx.call(lambda uow, a: call("vehicles", "appraise", uow, a, vehicle_id,
                                                AppraisalCreate(**_blank(values))).id,
                            fields=inputs, success=t("common.saved"))
            if done:
                body.refresh()
            return bool(done)

        form_dialog(t("vehicles.appraise"), fields, submit)

    def compute() -> None:
        result = ctx.call(lambda uow, a: call("vehicles", "loan_to_value", uow, a, vehicle_id,
                                              LtvRequest(loan=loan.value or "0").loan),
                          fields={"loan": loan, "vehicle_id": loan})
        if result is not None:
            ltv_label.text = t("vehicles.ltv_result", ltv=f"{result.ltv * 100:.2f}%", basis=money(result.basis))

    with ui.card().classes("flex-1 min-w-[24rem]").props("flat bordered"):
        with ui.row().classes("w-full items-center"):
            section_title(t("vehicles.appraisals"))
            ui.space()
            if ctx.actor.can(perm.APPRAISAL_MANAGE):
                ui.button(t("vehicles.appraise"), icon="add", on_click=appraise).props("flat dense no-caps")
        body()
        with ui.row().classes("w-full items-center gap-2"):
            loan = ui.input(t("vehicles.loan_amount"), value="100000.00").props("outlined dense").classes("w-40")
            ui.button(t("vehicles.compute_ltv"), icon="percent", on_click=compute).props("flat dense no-caps")
            ltv_label = ui.label("").classes("text-weight-medium").props('data-testid="vehicle-ltv"')


def gps_row(d: Any, vins: dict[int, str] | None = None) -> dict[str, Any]:
    return {
        "id": d.id, "serial": d.serial, "imei": d.imei or "—", "kind": label_of("vehicles.gps_kind", d.kind),
        "sim": d.sim or "—", "status_code": d.status, "status": label_of("vehicles.gps_status", d.status),
        "vehicle_id": d.vehicle_id, "vehicle": (vins or {}).get(d.vehicle_id, d.vehicle_id) if d.vehicle_id else "—",
        "loan": d.loan_id or "—", "version": d.version,
    }


def add_device_dialog(ctx: PageContext, done: Any) -> None:
    fields = [
        FormField("serial", "vehicles.gps_serial", required=True, max_length=64),
        FormField("imei", "vehicles.gps_imei", max_length=15, hint_key="vehicles.gps_imei_hint"),
        FormField("kind", "vehicles.gps_kind", kind="select", required=True, value="wired",
                  options={k: label_of("vehicles.gps_kind", k) for k in ("wired", "wireless")}),
        FormField("sim", "vehicles.gps_sim", max_length=24, hint_key="vehicles.gps_sim_hint"),
    ]

    def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
        created = ctx.call(lambda uow, a: call("vehicles", "add_gps_device", uow, a,
                                               GpsDeviceCreate(**_blank(values))).id,
                           fields=inputs, success=t("common.saved"))
        if created:
            done()
        return bool(created)

    form_dialog(t("vehicles.gps_new"), fields, submit)


def change_status_dialog(ctx: PageContext, row: dict[str, Any], done: Any) -> None:
    allowed = GPS_TRANSITIONS.get(row["status_code"], ())
    fields = [
        FormField("status", "vehicles.gps_new_status", kind="select", required=True,
                  value=allowed[0] if allowed else None,
                  options={s: label_of("vehicles.gps_status", s) for s in allowed}),
        FormField("reason", "vehicles.reason", kind="textarea", max_length=500),
    ]

    def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
        changed = ctx.call(lambda uow, a: call("vehicles", "change_gps_status", uow, a, row["id"], values["status"],
                                               version=row["version"], reason=values.get("reason") or None).id,
                           fields=inputs, success=t("common.saved"))
        if changed:
            done()
        return bool(changed)

    form_dialog(t("vehicles.gps_status_of", serial=row["serial"]), fields, submit)


def install_dialog(ctx: PageContext, done: Any, *, vehicle_id: int | None = None,
                   device: dict[str, Any] | None = None) -> None:
    """Record an installation: of a stock device on this vehicle (vehicle page), or of ``device`` on a vehicle."""
    fields: list[FormField] = []
    if device is None:
        stock = ctx.read(lambda uow, a: {
            d.id: f"{d.serial} · {d.imei or label_of('vehicles.gps_kind', d.kind)}"
            for status in ("in_stock", "removed")
            for d in call("vehicles", "list_gps_devices", uow, a, status=status)}, {})
        if not stock:
            ui.notify(t("vehicles.gps_no_stock"), type="warning")
            return
        fields.append(FormField("device_id", "vehicles.gps_device", kind="select", required=True, options=stock))
    if vehicle_id is None:
        vehicles = ctx.read(lambda uow, a: {v.id: f"{v.vin} · {v.plate or '—'}"
                                            for v in call("vehicles", "list_vehicles", uow, a, size=200)[0]}, {})
        fields.append(FormField("vehicle_id", "vehicles.gps_vehicle", kind="select", required=True, options=vehicles))
    fields += [
        FormField("installer", "vehicles.gps_installer", required=True, max_length=100),
        FormField("installed_on", "vehicles.gps_installed_on", kind="date"),
    ]
    if vehicle_id is not None and ctx.actor.can(DOCUMENT_VIEW):
        photos = ctx.read(lambda uow, a: {
            d.id: d.original_filename
            for d in call("documents", "list_documents", uow, a, "vehicle", vehicle_id, size=200)[0] if d.is_image},
            {})
        fields.append(FormField("photo_document_ids", "vehicles.gps_photos", kind="multiselect", options=photos,
                                hint_key="vehicles.gps_photos_hint"))
    fields.append(FormField("notes", "vehicles.notes", kind="textarea", max_length=2000))

    def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
        body = _blank(values)
        target = int(body.pop("device_id")) if device is None else device["id"]
        body["vehicle_id"] = int(body["vehicle_id"]) if vehicle_id is None else vehicle_id
        body["photo_document_ids"] = [int(x) for x in body.get("photo_document_ids", [])]
        if device is not None:
            body["version"] = device["version"]
        installed = ctx.call(lambda uow, a: call("vehicles", "install_gps", uow, a, target, GpsInstall(**body)).id,
                             fields=inputs, success=t("common.saved"))
        if installed:
            done()
        return bool(installed)

    title = t("vehicles.gps_install_on", serial=device["serial"]) if device else t("vehicles.gps_install")
    form_dialog(title, fields, submit, width="36rem")


def gps_card(ctx: PageContext, vehicle_id: int) -> None:
    """The vehicle's GPS devices (status, loan), their installation history with photos, and the loan binding."""
    can_manage = ctx.actor.can(perm.GPS_MANAGE)

    def load(uow: UnitOfWork, a: Actor) -> dict[str, Any]:
        devices = call("vehicles", "list_gps_devices", uow, a, vehicle_id=vehicle_id)
        installs = call("vehicles", "list_gps_installations", uow, a, vehicle_id=vehicle_id)
        serials = {d.id: d.serial for d in devices}
        for i in installs:
            if i.device_id not in serials:
                serials[i.device_id] = call("vehicles", "get_gps_device", uow, a, i.device_id).serial
        return {
            "devices": [gps_row(d) for d in devices],
            "installs": [
                {"id": i.id, "device": serials.get(i.device_id, i.device_id), "installer": i.installer,
                 "installed_on": fmt_date(i.installed_on), "removed_on": fmt_date(i.removed_on) or "—",
                 "photos": [int(p.split(":", 1)[1]) for p in (i.photos or []) if p.startswith("document:")],
                 "notes": i.notes or ""}
                for i in installs
            ],
            "loans": [str(x.loan_id) for x in call("vehicles", "loans_of_vehicle", uow, a, vehicle_id)],
        }

    @ui.refreshable
    def body() -> None:
        data = ctx.read(load, {"devices": [], "installs": [], "loans": []})
        loans = data["loans"]
        ui.label(t("vehicles.bound_loans", loans="、".join(loans)) if loans else t("vehicles.no_bound_loan")).classes(
            "text-caption text-grey-7").props('data-testid="gps-loans"')
        columns = [("serial", "vehicles.gps_serial"), ("imei", "vehicles.gps_imei"), ("kind", "vehicles.gps_kind"),
                   ("sim", "vehicles.gps_sim"), ("status", "common.status"), ("loan", "vehicles.gps_loan")]
        table = ui.table(
            columns=[{"name": n, "label": t(k), "field": n, "align": "left"} for n, k in columns]
            + ([{"name": "_actions", "label": t("common.actions"), "field": "_actions", "align": "left"}]
               if can_manage else []),
            rows=data["devices"], row_key="id",
        ).props(f'flat bordered dense hide-pagination data-testid="gps-devices" no-data-label="{t("common.empty")}"')
        table.classes("w-full").pagination = {"rowsPerPage": 0}
        if can_manage:
            table.add_slot("body-cell-_actions", (
                '<q-td :props="props"><q-btn flat dense no-caps size="sm" color="primary" icon="sync_alt" '
                f'label="{t("vehicles.gps_change_status")}" data-action="gps-status" '
                "@click=\"() => $parent.$emit('status', props.row.id)\" /></q-td>"))
            rows = {r["id"]: r for r in data["devices"]}
            table.on("status", lambda e: change_status_dialog(ctx, rows[int(e.args)], body.refresh))
        section_title(t("vehicles.gps_installations"))
        with ui.column().classes("w-full gap-1").props('data-testid="gps-installations"'):
            if not data["installs"]:
                ui.label(t("common.empty")).classes("text-grey-6")
            for row in data["installs"]:
                with ui.row().classes("w-full items-center gap-2").props(f'data-installation="{row["id"]}"'):
                    ui.label(f"{row['installed_on']} · {row['device']} · {row['installer']}").classes("text-body2")
                    if row["removed_on"] != "—":
                        ui.badge(f"{t('vehicles.gps_removed_on')} {row['removed_on']}", color="grey")
                    for document_id in row["photos"]:
                        ui.image(content_url(document_id)).classes("w-16 h-12 rounded-borders").props(
                            'fit=cover data-testid="gps-photo"')

    def bind() -> None:
        fields = [FormField("loan_id", "vehicles.loan_id", kind="number", required=True)]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            result = ctx.call(lambda uow, a: call("vehicles", "bind_gps_to_loan", uow, a, LoanBind(
                vehicle_id=vehicle_id, loan_id=int(values["loan_id"]))), fields=inputs)
            if result is not None:
                ui.notify(t("vehicles.bound", devices=len(result.device_ids), lien=result.lien_id or "—"),
                          type="positive")
                body.refresh()
            return result is not None

        form_dialog(t("vehicles.bind_loan_title"), fields, submit)

    with ui.card().classes("flex-1 min-w-[24rem]").props('flat bordered data-testid="gps-card"'):
        with ui.row().classes("w-full items-center"):
            section_title(t("vehicles.gps"))
            ui.space()
            if can_manage:
                ui.button(t("vehicles.gps_new"), icon="add",
                          on_click=lambda: add_device_dialog(ctx, body.refresh)).props(
                    'flat dense no-caps data-testid="gps-new"')
                ui.button(t("vehicles.gps_install"), icon="build",
                          on_click=lambda: install_dialog(ctx, body.refresh, vehicle_id=vehicle_id)).props(
                    'flat dense no-caps data-testid="gps-install"')
                ui.button(t("vehicles.bind_loan"), icon="link", on_click=bind).props(
                    'flat dense no-caps data-testid="gps-bind-loan"')
        body()


# ------------------------------------------------------------------------------------------------ GPS devices
def gps_page(ctx: PageContext) -> None:
    """Every GPS device: stock, installed (on which car, for which loan), removed, faulty."""
    filters: dict[str, Any] = {"status": None}

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            devices = call("vehicles", "list_gps_devices", uow, a, status=filters["status"], q=q)
            shown = devices[(page - 1) * size: page * size]
            vins = {d.vehicle_id: call("vehicles", "get_vehicle", uow, a, d.vehicle_id).vin
                    for d in shown if d.vehicle_id}
            return [gps_row(d, vins) for d in shown], len(devices)

        return ctx.read(query, ([], 0))

    actions: list[RowAction] = []
    if ctx.actor.can(perm.GPS_MANAGE):
        actions = [
            RowAction("install", "vehicles.gps_install",
                      lambda r: install_dialog(ctx, table.refresh, device=r), icon="build",
                      when="row.status_code === 'in_stock' || row.status_code === 'removed'"),
            RowAction("status", "vehicles.gps_change_status", lambda r: change_status_dialog(ctx, r, table.refresh),
                      icon="sync_alt"),
        ]

    def toolbar() -> None:
        status = ui.select({"": t("common.all"), **{s: label_of("vehicles.gps_status", s) for s in GPS_STATUSES}},
                           value="", label=t("common.status")).props(
            'dense outlined options-dense data-testid="gps-status-filter"').classes("w-32")

        def filter_status() -> None:
            filters["status"] = status.value or None
            table.page = 1
            table.refresh()

        status.on_value_change(filter_status)
        if ctx.actor.can(perm.GPS_MANAGE):
            ui.button(t("vehicles.gps_new"), icon="add", on_click=lambda: add_device_dialog(ctx, table.refresh)).props(
                'unelevated color=primary data-testid="gps-new"')

    with ui.card().classes("w-full").props("flat bordered"):
        table = DataTable(
            columns=[
                Column("serial", "vehicles.gps_serial", classes="text-mono"),
                Column("imei", "vehicles.gps_imei", classes="text-mono"),
                Column("kind", "vehicles.gps_kind"),
                Column("sim", "vehicles.gps_sim"),
                Column("status", "common.status"),
                Column("vehicle", "vehicles.gps_vehicle", classes="text-mono"),
                Column("loan", "vehicles.gps_loan"),
            ],
            fetch=fetch,
            actions=actions,
            toolbar=toolbar,
            search_placeholder_key="vehicles.gps_search_hint",
        )


# ------------------------------------------------------------------------------------------------ liens
def liens_page(ctx: PageContext) -> None:
    filters: dict[str, Any] = {"status": None, "vin": None}
    banner = ui.label("").classes("w-full q-pa-sm rounded-borders bg-red-1 text-negative text-body2").props(
        'data-testid="lien-refused" role="alert"')
    banner.set_visibility(False)

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            vin = (q or "").strip().upper() or None
            rows, total = call("vehicles", "list_liens", uow, a, page=page, size=size, vin=vin,
                               status=filters["status"])
            return [
                {"id": x.id, "vin": x.vin, "vehicle_id": x.vehicle_id, "kind": label_of("vehicles.lien_kind", x.kind),
                 "status_code": x.status, "status": label_of("vehicles.lien_status", x.status),
                 "active": t("common.yes") if x.active else t("common.no"), "creditor": x.creditor,
                 "certificate": x.certificate_number or "—", "registered_on": fmt_date(x.registered_on) or "—",
                 "amount": money(x.secured_amount), "version": x.version}
                for x in rows
            ], total

        return ctx.read(query, ([], 0))

    def lien_step(use_case: Any, inputs: dict[str, Any] | None = None) -> bool:
        """Run a lien step; a refused second lien commits its risk alert and shows the refusal in the banner."""
        refusal: dict[str, DomainError] = {}

        def guarded(uow: UnitOfWork, a: Actor) -> Any:
            try:
                return use_case(uow, a)
            except LienAlreadyActive as exc:
                uow.commit()  # keep the risk alert
                refusal["error"] = exc
                raise

        done = ctx.call(guarded, fields=inputs, success=t("common.done"))
        if "error" in refusal:
            banner.text = i18n.text(refusal["error"].message)
            banner.set_visibility(True)
        elif done:
            banner.set_visibility(False)
        table.refresh()
        return bool(done)

    def apply() -> None:
        vehicles = ctx.read(lambda uow, a: {v.id: f"{v.vin} · {v.plate or '—'}"
                                            for v in call("vehicles", "list_vehicles", uow, a, size=200)[0]}, {})
        fields = [
            FormField("vehicle_id", "vehicles.vehicle", kind="select", required=True, options=vehicles),
            FormField("kind", "vehicles.lien_kind", kind="select", required=True, value="mortgage",
                      options={k: label_of("vehicles.lien_kind", k) for k in ("mortgage", "pledge")}),
            FormField("creditor", "vehicles.creditor", value="autofin", max_length=100),
            FormField("loan_reference", "vehicles.loan_reference", max_length=64),
            FormField("secured_amount", "vehicles.secured_amount"),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            body = _blank(values)
            body["vehicle_id"] = int(body["vehicle_id"])
            return lien_step(lambda uow, a: call("vehicles", "apply_lien", uow, a, LienCreate(**body)).id, inputs)

        form_dialog(t("vehicles.apply_lien"), fields, submit)

    def register(row: dict[str, Any]) -> None:
        fields = [
            FormField("authority", "vehicles.authority", value="车辆管理所", required=True, max_length=100),
            FormField("certificate_number", "vehicles.certificate", required=True, max_length=64),
            FormField("registered_on", "vehicles.registered_on", kind="date"),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            return lien_step(lambda uow, a: call("vehicles", "register_lien", uow, a, row["id"],
                                                 LienRegister(**_blank(values))).id, inputs)

        form_dialog(t("vehicles.register_lien", vin=row["vin"]), fields, submit)

    def with_reason(row: dict[str, Any], function: str, title_key: str) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            return lien_step(lambda uow, a: call("vehicles", function, uow, a, row["id"], values["reason"]).id,
                             inputs)

        form_dialog(t(title_key, vin=row["vin"]),
                    [FormField("reason", "vehicles.reason", kind="textarea", required=True, max_length=500)], submit)

    def release(row: dict[str, Any]) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            on = values.get("released_on") or None
            return lien_step(lambda uow, a: call("vehicles", "release_lien", uow, a, row["id"], on).id, inputs)

        form_dialog(t("vehicles.release_lien", vin=row["vin"]),
                    [FormField("released_on", "vehicles.released_on", kind="date")], submit)

    def history(row: dict[str, Any]) -> None:
        entries = ctx.read(lambda uow, a: [
            {"id": e.sequence, "sequence": e.sequence, "time": fmt_time(e.occurred_at), "action": e.action,
             "actor": e.actor_name, "hash": e.row_hash[:16] + "…"}
            for e in call("vehicles", "registry_entries", uow, a, vin=row["vin"])], [])
        with ui.dialog() as dialog, ui.card().style("width: 52rem; max-width: 96vw"):
            ui.label(t("vehicles.registry_of", vin=row["vin"])).classes("text-h6")
            _table([("sequence", "vehicles.sequence"), ("time", "vehicles.time"), ("action", "vehicles.action"),
                    ("actor", "vehicles.actor"), ("hash", "vehicles.row_hash")], entries, "registry-entries")
            ui.button(t("common.close"), on_click=dialog.close).props("flat")
        dialog.open()

    def verify() -> None:
        report = ctx.call(lambda uow, a: call("vehicles", "verify_registry", uow, a))
        if report is None:
            return
        if report.intact:
            verify_label.text = t("vehicles.chain_intact", count=report.entries_checked)
            verify_label.classes(replace="text-positive text-weight-medium")
        else:
            verify_label.text = t("vehicles.chain_broken", sequence=report.first_broken_sequence,
                                  problem=report.problem or "")
            verify_label.classes(replace="text-negative text-weight-medium")

    actions: list[RowAction] = [RowAction("history", "vehicles.registry", history, icon="receipt_long")]
    if ctx.actor.can(perm.LIEN_REVIEW):
        actions.append(RowAction("register", "vehicles.do_register", register, icon="verified",
                                 when="row.status_code === 'applied'"))
        actions.append(RowAction("release", "vehicles.do_release", release, icon="lock_open",
                                 when="row.status_code === 'release_requested'"))
    if ctx.actor.can(perm.LIEN_APPLY):
        actions.append(RowAction("request_release", "vehicles.do_request_release",
                                 lambda r: with_reason(r, "request_lien_release", "vehicles.request_release"),
                                 icon="outbox", when="row.status_code === 'registered'"))
        actions.append(RowAction("cancel", "vehicles.do_cancel",
                                 lambda r: with_reason(r, "cancel_lien", "vehicles.cancel_lien"),
                                 icon="cancel", color="negative", when="row.status_code === 'applied'"))

    def toolbar() -> None:
        status = ui.select(
            {"": t("common.all"), **{s: label_of("vehicles.lien_status", s)
                                     for s in ("applied", "registered", "release_requested", "released",
                                               "cancelled")}},
            value="", label=t("common.status"),
        ).props("dense outlined options-dense").classes("w-36")

        def filter_status() -> None:
            filters["status"] = status.value or None
            table.page = 1
            table.refresh()

        status.on_value_change(filter_status)
        if ctx.actor.can(perm.LIEN_APPLY):
            ui.button(t("vehicles.apply_lien"), icon="add", on_click=apply).props(
                'unelevated color=primary data-testid="lien-apply"')

    with ui.card().classes("w-full").props("flat bordered"):
        table = DataTable(
            columns=[
                Column("vin", "vehicles.vin", classes="text-mono"),
                Column("kind", "vehicles.lien_kind"),
                Column("status", "common.status"),
                Column("active", "vehicles.active_lien"),
                Column("creditor", "vehicles.creditor"),
                Column("certificate", "vehicles.certificate"),
                Column("registered_on", "vehicles.registered_on"),
                Column("amount", "vehicles.secured_amount", align="right"),
            ],
            fetch=fetch,
            actions=actions,
            toolbar=toolbar,
            search_placeholder_key="vehicles.lien_search_hint",
        )
    if ctx.actor.can(perm.REGISTRY_VERIFY):
        with ui.card().classes("w-full").props("flat bordered"), ui.row().classes("items-center gap-3"):
            section_title(t("vehicles.registry_chain"))
            ui.button(t("vehicles.verify_chain"), icon="verified_user", on_click=verify).props(
                'unelevated color=primary data-testid="registry-verify"')
            verify_label = ui.label("").props('data-testid="registry-verify-result"')

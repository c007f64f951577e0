"""Built-in parameters, dictionaries and job rows. Idempotent: adds only what is missing, never overwrites."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM
from autofin.platform.config_center import ensure_parameter
from autofin.platform.dictionary import ensure_dictionary
from autofin.platform.job_runner import sync_job_definitions
from autofin.platform.models import ConfigRevision

SINCE = date(2025, 1, 1)

# key, type, value, zh, en, effective_from
PARAMETERS: list[tuple[str, str, Any, str, str, date]] = [
    ("collection.calling_hours_start", "string", "08:00",
     "催收可联系开始时间", "Collection contact window opens", SINCE),
    ("collection.calling_hours_end", "string", "21:00",
     "催收可联系结束时间", "Collection contact window closes", SINCE),
    ("collection.max_connected_calls_per_day", "integer", 3, "每日每债务人最多接通电话次数",
     "Connected calls per debtor per day, all agencies together", SINCE),
    ("collection.max_unanswered_attempts_per_day", "integer", 6, "每日同一号码最多未接通拨打次数",
     "Unanswered attempts per number per day", SINCE),
    ("penalty.rate_multiplier", "decimal", "1.5", "罚息利率倍数（相对合同利率）",
     "Penalty rate as a multiple of the contract rate", SINCE),
    ("tax.vat_rate", "decimal", "0.06", "增值税税率（金融服务）", "VAT rate on financial services", SINCE),
    ("customer.min_age", "integer", 18, "借款人最低年龄", "Minimum borrower age", SINCE),
    ("customer.max_age", "integer", 65, "借款人最高年龄（到期时）", "Maximum borrower age (at maturity)", SINCE),
    ("lpr.1y", "decimal", "3.1", "一年期贷款市场报价利率（%）", "One-year loan prime rate (%)", date(2024, 10, 21)),
    ("lpr.1y", "decimal", "3.0", "一年期贷款市场报价利率（%）", "One-year loan prime rate (%)", date(2025, 5, 20)),
    ("lpr.5y", "decimal", "3.6",
     "五年期以上贷款市场报价利率（%）", "Five-year loan prime rate (%)", date(2024, 10, 21)),
    ("lpr.5y", "decimal", "3.5", "五年期以上贷款市场报价利率（%）", "Five-year loan prime rate (%)", date(2025, 5, 20)),
    ("interest.cap_lpr_multiple", "decimal", "4",
     "利率上限（LPR 倍数）", "Interest cap as a multiple of the 1-year LPR",
     SINCE),
    ("ledger.vat_enabled", "boolean", True, "利息与手续费收入价税分离", "Separate VAT from interest and fee income",
     SINCE),
    ("ledger.basis", "string", "accrual", "记账基础（accrual 权责发生制 / cash 收付实现制）",
     "Accounting basis: accrual or cash", SINCE),
    ("risk.max_dti", "decimal", "0.55", "最高债务收入比", "Highest debt-to-income ratio", SINCE),
    ("privacy.deidentify_after_days", "integer", 90, "业务结束后非必要数据去标识化天数",
     "Days after the business ends before non-essential data is de-identified", SINCE),
    ("notification.inbox_retention_days", "integer", 180, "已读站内信保留天数", "Days read in-app messages are kept",
     SINCE),
    ("notification.outbox_retention_days", "integer", 90, "已投递通知保留天数", "Days delivered notifications are kept",
     SINCE),
    ("platform.job_run_retention_days", "integer", 90, "任务运行日志保留天数", "Days job run logs are kept", SINCE),
]

# type code, zh, en, items (code, zh, en), parents {child: parent}
DICTIONARIES: list[tuple[str, str, str, list[tuple[str, str, str]], dict[str, str]]] = [
    ("vehicle_model", "车型", "Vehicle model", [
        ("byd", "比亚迪", "BYD"), ("byd.qin_plus_dmi", "秦PLUS DM-i", "Qin PLUS DM-i"),
        ("byd.seal", "海豹", "Seal"),
        ("toyota", "丰田", "Toyota"), ("toyota.camry", "凯美瑞", "Camry"),
        ("volkswagen", "大众", "Volkswagen"), ("volkswagen.lavida", "朗逸", "Lavida"),
        ("tesla", "特斯拉", "Tesla"), ("tesla.model_y", "Model Y", "Model Y"),
        ("geely", "吉利", "Geely"), ("geely.xingyue_l", "星越L", "Xingyue L"),
    ], {"byd.qin_plus_dmi": "byd", "byd.seal": "byd", "toyota.camry": "toyota", "volkswagen.lavida": "volkswagen",
        "tesla.model_y": "tesla", "geely.xingyue_l": "geely"}),
    ("product_type", "产品类型", "Product type", [
        ("new_car_loan", "新车贷款", "New-car loan"), ("used_car_loan", "二手车贷款", "Used-car loan"),
        ("commercial_vehicle_loan", "商用车贷款", "Commercial-vehicle loan"),
        ("finance_lease", "融资租赁", "Finance lease"),
        ("dealer_inventory", "经销商库存融资", "Dealer inventory finance"),
    ], {}),
    ("insurance_product", "保险产品", "Insurance product", [
        ("compulsory_traffic", "交强险", "Compulsory traffic insurance"),
        ("third_party_liability", "商业第三者责任险", "Third-party liability"),
        ("vehicle_damage", "车辆损失险", "Vehicle damage"),
        ("borrower_accident", "借款人意外险", "Borrower accident"),
        ("gap", "GAP 险", "GAP insurance"),
    ], {}),
    ("id_type", "证件类型", "ID type", [
        ("resident_id", "居民身份证", "Resident ID card"), ("passport", "护照", "Passport"),
        ("hk_macau_permit", "港澳居民来往内地通行证", "Mainland travel permit for HK/Macau residents"),
        ("taiwan_permit", "台湾居民来往大陆通行证", "Mainland travel permit for Taiwan residents"),
    ], {}),
    ("repayment_method", "还款方式", "Repayment method", [
        ("annuity", "等额本息", "Annuity (equal installments)"),
        ("equal_principal", "等额本金", "Equal principal"),
        ("flat", "等本等息", "Flat"),
        ("interest_only", "先息后本", "Interest-only (bullet)"),
        ("balloon", "尾款", "Balloon"),
    ], {}),
    ("powertrain", "动力类型", "Powertrain", [
        ("ice", "燃油车", "ICE (internal combustion)"), ("bev", "纯电动", "BEV (battery electric)"),
        ("phev", "插电式混合动力", "PHEV (plug-in hybrid)"),
    ], {}),
    ("vehicle_use", "车辆用途", "Vehicle use", [
        ("self_use", "自用", "Self use"), ("commercial", "商用", "Commercial"),
    ], {}),
    ("vehicle_condition", "新旧状态", "New or used", [("new", "新车", "New"), ("used", "二手车", "Used")], {}),
]


def seed(uow: UnitOfWork) -> None:
    session = uow.session
    if session.execute(select(ConfigRevision.id).where(ConfigRevision.id == 1)).first() is None:
        session.add(ConfigRevision(id=1, revision=0))
        session.flush()
    for key, value_type, value, zh, en, since in PARAMETERS:
        ensure_parameter(uow, SYSTEM, key, value_type, value, description_zh=zh, description_en=en,
                         effective_from=since)
    for code, zh, en, items, parents in DICTIONARIES:
        ensure_dictionary(uow, code, zh, en, items, parent_of=parents)
    sync_job_definitions(uow)

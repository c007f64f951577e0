"""Use cases of loan products: versions (draft → active → retired), LTV caps, quotes through the calc engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import func, or_, select

from autofin.audit import service as audit
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import invalid
from autofin.kernel.money import HUNDRED, ZERO, quantize
from autofin.products import errors
from autofin.products.models import LtvCap, Product, ProductVersion, VersionStatus
from autofin.products.permissions import (
    LTV_BACKDATE,
    LTV_MANAGE,
    PRODUCT_MANAGE,
    PRODUCT_PUBLISH,
    PRODUCT_QUOTE,
    PRODUCT_VIEW,
)
from autofin.products.schemas import LtvCapCreate, ProductCreate, VersionFields, VersionUpdate
from autofin.products.schemas import QuoteRequest as QuoteRequest  # re-exported: other domains quote with it

MAX_TERM_NEW = 60  # months: new cars ≤ 5 years
MAX_TERM_USED = 36  # used cars ≤ 3 years


def _pct(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


def _today() -> date:
    return utcnow().date()


# --- LTV caps ---------------------------------------------------------------------------------------------------


def powertrain_class(powertrain: str) -> str:
    """``ice`` → conventional; ``bev`` / ``phev`` → nev (new-energy); class names pass through."""
    return "conventional" if powertrain in ("ice", "conventional") else "nev"


def ltv_cap(uow: UnitOfWork, *, use: str, powertrain: str, condition: str, on: date) -> LtvCap | None:
    """The regulatory cap in force on ``on`` for (use, powertrain class, new/used)."""
    return (
        uow.session.execute(
            select(LtvCap)
            .where(
                LtvCap.use == use,
                LtvCap.powertrain == powertrain_class(powertrain),
                LtvCap.condition == condition,
                LtvCap.effective_from <= on,
                or_(LtvCap.effective_to.is_(None), LtvCap.effective_to >= on),
            )
            .order_by(LtvCap.effective_from.desc())
        )
        .scalars()
        .first()
    )


def list_ltv_caps(uow: UnitOfWork, actor: Actor) -> list[LtvCap]:
    actor.require(PRODUCT_VIEW)
    return list(
        uow.session.execute(
            select(LtvCap).order_by(LtvCap.condition, LtvCap.use, LtvCap.powertrain, LtvCap.effective_from)
        ).scalars()
    )


def add_ltv_cap(uow: UnitOfWork, actor: Actor, cmd: LtvCapCreate) -> LtvCap:
    """Add an effective-dated cap for (use, powertrain class, new/used); audited.

    The cap is above 0 and at most 100 %. The date may lie in the past only for a holder of ``products.ltv.backdate``
    who gives a reason (quotes already made are not changed; new ones on those dates use the new cap). The row in
    force before the new date now ends the day before it; a later row bounds the new one.
    """
    actor.require(LTV_MANAGE)
    if not ZERO < cmd.cap_percent <= HUNDRED:
        raise invalid(
            "cap_percent",
            "The cap is a percentage above 0 and at most 100.",
            "LTV上限应大于0且不超过100（百分比）。",
            "products.ltv.cap_range",
        )
    today = _today()
    if cmd.effective_from < today:
        if not actor.can(LTV_BACKDATE):
            raise invalid(
                "effective_from",
                f"The effective date cannot be before today ({today}); adding a past cap needs the permission "
                "'products.ltv.backdate'.",
                f"生效日期不能早于今天（{today}）；补录历史上限须具备“补录历史生效的LTV上限”权限。",
                "products.ltv.date_past",
            )
        if not (cmd.reason or "").strip():
            raise invalid(
                "reason",
                "A cap effective in the past needs a reason.",
                "补录历史生效的上限须填写原因。",
                "products.ltv.reason_required",
            )
    key = (LtvCap.use == cmd.use, LtvCap.powertrain == cmd.powertrain, LtvCap.condition == cmd.condition)
    same_day = uow.session.execute(select(LtvCap.id).where(*key, LtvCap.effective_from == cmd.effective_from)).first()
    if same_day is not None:
        raise errors.ltv_cap_exists(cmd.use, cmd.powertrain, cmd.condition, cmd.effective_from)
    previous = (
        uow.session.execute(
            select(LtvCap)
            .where(*key, LtvCap.effective_from < cmd.effective_from)
            .order_by(LtvCap.effective_from.desc())
        )
        .scalars()
        .first()
    )
    following = (
        uow.session.execute(
            select(LtvCap).where(*key, LtvCap.effective_from > cmd.effective_from).order_by(LtvCap.effective_from)
        )
        .scalars()
        .first()
    )
    before: dict[str, Any] = {}
    day_before = cmd.effective_from - timedelta(days=1)
    if previous is not None and (previous.effective_to is None or previous.effective_to > day_before):
        before = {"previous_id": previous.id, "previous_effective_to": previous.effective_to}
        previous.effective_to = day_before
    cap = LtvCap(
        use=cmd.use,
        powertrain=cmd.powertrain,
        condition=cmd.condition,
        effective_from=cmd.effective_from,
        effective_to=following.effective_from - timedelta(days=1) if following is not None else None,
        cap_percent=cmd.cap_percent,
        lender_set=cmd.lender_set,
        source=cmd.source.strip(),
    )
    uow.session.add(cap)
    uow.flush()
    audit.record(
        uow,
        actor,
        "products.ltv.add",
        "ltv_cap",
        cap.id,
        before=before or None,
        after={
            "use": cap.use,
            "powertrain": cap.powertrain,
            "condition": cap.condition,
            "effective_from": cap.effective_from,
            "effective_to": cap.effective_to,
            "cap_percent": _pct(cap.cap_percent),
            "lender_set": cap.lender_set,
            "source": cap.source,
            "reason": cmd.reason,
        },
    )
    return cap


# --- products and versions --------------------------------------------------------------------------------------


def validate_version(fields: VersionFields) -> None:
    """Rules every version must satisfy before it is stored (bilingual field errors)."""
    limit = MAX_TERM_USED if fields.conditions == ["used"] else MAX_TERM_NEW
    if fields.max_term > limit:
        raise invalid(
            "max_term",
            f"The maximum term is {limit} months for {'used' if limit == 36 else 'new'} cars.",
            f"{'二手车' if limit == 36 else '新车'}贷款期限最长{limit}个月。",
            "products.version.max_term",
        )
    bad_terms = [t for t in fields.terms if not 1 <= t <= fields.max_term]
    if bad_terms:
        raise invalid(
            "terms",
            f"Terms {bad_terms} exceed the maximum term of {fields.max_term} months.",
            f"期限{bad_terms}超过最长期限{fields.max_term}个月。",
            "products.version.terms",
        )
    if not fields.rate_min <= fields.rate_default <= fields.rate_max:
        raise invalid(
            "rate_default",
            "The default rate must lie between the minimum and maximum rates.",
            "默认利率必须介于最低与最高利率之间。",
            "products.version.rate_range",
        )
    if fields.min_age >= fields.max_age:
        raise invalid(
            "max_age",
            "The maximum age must be above the minimum age.",
            "最高年龄必须大于最低年龄。",
            "products.version.age_range",
        )
    if "balloon" in fields.methods and fields.max_balloon_percent is None:
        raise invalid(
            "max_balloon_percent",
            "A balloon product needs a maximum balloon percent.",
            "尾款贷产品须设置最高尾款比例。",
            "products.version.balloon",
        )
    for index, fee in enumerate(fields.fees):
        if (fee.amount is None) == (fee.percent is None):
            raise invalid(
                f"fees.{index}",
                "A fee needs exactly one of amount or percent.",
                "每项费用须且只能填写金额或比例之一。",
                "products.version.fee",
            )


def _version_values(fields: VersionFields, default_name: str) -> dict[str, Any]:
    values = fields.model_dump(exclude={"code", "product_name"}, mode="python")
    values["name"] = fields.name or default_name
    values["fees"] = [fee.model_dump(mode="json") for fee in fields.fees]
    values["terms"] = sorted(set(fields.terms))
    return values


def _product(uow: UnitOfWork, code: str) -> Product:
    product = uow.session.execute(select(Product).where(Product.code == code)).scalar_one_or_none()
    if product is None:
        raise errors.product_not_found(code)
    return product


def create_product(uow: UnitOfWork, actor: Actor, cmd: ProductCreate) -> Product:
    """A new product with its first version as a draft."""
    actor.require(PRODUCT_MANAGE)
    validate_version(cmd)
    if uow.session.execute(select(Product.id).where(Product.code == cmd.code)).first():
        raise errors.code_taken(cmd.code)
    product = Product(code=cmd.code, name=cmd.product_name)
    uow.session.add(product)
    uow.flush()
    version = ProductVersion(
        product_id=product.id,
        number=1,
        status=VersionStatus.DRAFT,
        is_active=False,
        **_version_values(cmd, cmd.product_name),
    )
    uow.session.add(version)
    uow.flush()
    audit.record(
        uow,
        actor,
        "products.product.create",
        "product",
        product.id,
        after={"code": cmd.code, "name": cmd.product_name, "version": 1},
    )
    return product


def create_version(uow: UnitOfWork, actor: Actor, code: str, cmd: VersionFields) -> ProductVersion:
    actor.require(PRODUCT_MANAGE)
    validate_version(cmd)
    product = _product(uow, code)
    last = (
        uow.session.execute(
            select(func.max(ProductVersion.number)).where(ProductVersion.product_id == product.id)
        ).scalar_one()
        or 0
    )
    version = ProductVersion(
        product_id=product.id,
        number=last + 1,
        status=VersionStatus.DRAFT,
        is_active=False,
        **_version_values(cmd, product.name),
    )
    uow.session.add(version)
    uow.flush()
    audit.record(uow, actor, "products.version.create", "product", product.id, after={"version": version.number})
    return version


def update_version(uow: UnitOfWork, actor: Actor, code: str, number: int, cmd: VersionUpdate) -> ProductVersion:
    """Change a draft's fields (rates, fees, terms, methods, prepayment, down payment, ages, grace, penalty …).

    Active and retired versions are read-only (409 ``products.version.not_draft``: create a new draft instead); an
    edit based on an older copy of the draft is refused (409 ``db.stale_version``). Audited with what changed.
    """
    actor.require(PRODUCT_MANAGE)
    product = _product(uow, code)
    version = _version(uow, product, number)
    if version.status != VersionStatus.DRAFT:
        raise errors.not_draft(version.status)
    ensure_version(version, cmd.version, "产品版本 / product version")
    fields = VersionFields.model_validate(cmd.model_dump(exclude={"version"}))
    validate_version(fields)
    values = _version_values(fields, version.name)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in values.items():
        current = getattr(version, name)
        if current != value:
            before[name], after[name] = _audit_value(current), _audit_value(value)
            setattr(version, name, value)
    uow.flush()
    audit.record(
        uow,
        actor,
        "products.version.update",
        "product",
        product.id,
        before={"version": number, **before},
        after={"version": number, **after},
    )
    return version


def _audit_value(value: Any) -> Any:
    return _pct(value) if isinstance(value, Decimal) else value


def _version(uow: UnitOfWork, product: Product, number: int) -> ProductVersion:
    version = uow.session.execute(
        select(ProductVersion).where(ProductVersion.product_id == product.id, ProductVersion.number == number)
    ).scalar_one_or_none()
    if version is None:
        raise errors.version_not_found(product.code, number)
    return version


def activate_version(uow: UnitOfWork, actor: Actor, code: str, number: int) -> ProductVersion:
    """Put a draft into force; the version active until now is retired (loans keep the version they were made under)."""
    actor.require(PRODUCT_PUBLISH)
    product = _product(uow, code)
    version = _version(uow, product, number)
    if version.status != VersionStatus.DRAFT:
        raise errors.not_draft(version.status)
    now = utcnow()
    current = active_version(uow, product)
    if current is not None:
        current.status, current.is_active, current.retired_at = VersionStatus.RETIRED, False, now
        uow.flush()
    version.status, version.is_active, version.activated_at = VersionStatus.ACTIVE, True, now
    uow.flush()
    audit.record(
        uow,
        actor,
        "products.version.activate",
        "product",
        product.id,
        before={"active_version": current.number if current else None},
        after={"active_version": number},
    )
    return version


def retire_version(uow: UnitOfWork, actor: Actor, code: str, number: int) -> ProductVersion:
    actor.require(PRODUCT_PUBLISH)
    product = _product(uow, code)
    version = _version(uow, product, number)
    if version.status == VersionStatus.RETIRED:
        return version
    before = version.status
    version.status, version.is_active, version.retired_at = VersionStatus.RETIRED, False, utcnow()
    uow.flush()
    audit.record(
        uow,
        actor,
        "products.version.retire",
        "product",
        product.id,
        before={"version": number, "status": before},
        after={"version": number, "status": version.status},
    )
    return version


def active_version(uow: UnitOfWork, product: Product) -> ProductVersion | None:
    return uow.session.execute(
        select(ProductVersion).where(ProductVersion.product_id == product.id, ProductVersion.is_active.is_(True))
    ).scalar_one_or_none()


def versions_of(uow: UnitOfWork, product: Product) -> list[ProductVersion]:
    return list(
        uow.session.execute(
            select(ProductVersion).where(ProductVersion.product_id == product.id).order_by(ProductVersion.number)
        ).scalars()
    )


def get_product(uow: UnitOfWork, actor: Actor, code: str) -> Product:
    actor.require(PRODUCT_VIEW)
    return _product(uow, code)


def get_version(uow: UnitOfWork, actor: Actor, version_id: int) -> ProductVersion | None:
    """A product version by id (what a loan stored), whatever its status."""
    actor.require(PRODUCT_VIEW)
    return uow.session.get(ProductVersion, version_id)


def list_products(
    uow: UnitOfWork, actor: Actor, *, q: str | None = None, page: int = 1, size: int = 50
) -> tuple[list[Product], int]:
    actor.require(PRODUCT_VIEW)
    statement = select(Product)
    if q:
        statement = statement.where(or_(Product.code.startswith(q.upper()), Product.name.contains(q)))
    return fetch_page(uow.session, statement, (Product.code,), page, size)


# --- quotes -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    product_code: str
    product_version: int
    principal: Decimal
    net_disbursed: Decimal
    annual_rate: Decimal
    term: int
    method: str
    ltv_percent: Decimal
    ltv_cap_percent: Decimal
    down_payment_percent: Decimal
    total_interest: Decimal
    total_fees: Decimal
    total_repayment: Decimal
    annualized_rate_simple: Decimal
    annualized_rate_compound: Decimal
    schedule: list[dict[str, Any]]


def _calc_fees(specs: list[dict[str, Any]]) -> tuple[Any, ...]:
    from autofin import calc  # the loan maths engine, loaded when a quote is asked for

    fees = []
    for spec in specs:
        timing: Literal["upfront", "per_installment"] = (
            "per_installment" if spec["timing"] == "per_installment" else "upfront"
        )
        treatment: Literal["deducted", "financed"] = (
            "financed" if spec.get("treatment") == "financed" and timing == "upfront" else "deducted"
        )
        amount = Decimal(spec["amount"]) if spec.get("amount") is not None else None
        percent = Decimal(str(spec["percent"])) if spec.get("percent") is not None else None
        fees.append(
            calc.Fee(
                name=spec["name"],
                timing=timing,
                amount=amount,
                percent=percent,
                treatment=treatment,
            )
        )
    return tuple(fees)


def quote(uow: UnitOfWork, actor: Actor, code: str, cmd: QuoteRequest) -> Quote:
    """A schedule preview and annualised rate for a price, down payment, term and method under the active version.

    Refused (422 naming the field) when the term, method, rate, down payment, balloon or LTV is outside the product.
    """
    from autofin import calc  # the loan maths engine, loaded when a quote is asked for

    actor.require(PRODUCT_QUOTE)
    product = _product(uow, code)
    version = active_version(uow, product)
    if version is None:
        raise errors.no_active_version(code)
    condition = cmd.condition or version.conditions[0]
    powertrain = cmd.powertrain or version.powertrains[0]
    use = cmd.use or version.uses[0]
    for field, value, allowed in (
        ("condition", condition, version.conditions),
        ("powertrain", powertrain, version.powertrains),
        ("use", use, version.uses),
    ):
        if value not in allowed:
            raise errors.outside_product(
                field,
                "scope",
                f"This product covers {field} {', '.join(allowed)}, not {value}.",
                f"该产品适用范围为{'、'.join(allowed)}，不含{value}。",
            )
    if cmd.price <= ZERO:
        raise invalid("price", "The price must be more than 0.", "车价必须大于0。", "products.quote.price")
    if not ZERO <= cmd.down_payment < cmd.price:
        raise invalid(
            "down_payment",
            "The down payment must be at least 0 and less than the price.",
            "首付款应不小于0且小于车价。",
            "products.quote.down_payment",
        )
    if cmd.method not in version.methods:
        raise errors.outside_product(
            "method",
            "method",
            f"This product offers {', '.join(version.methods)}.",
            f"该产品支持的还款方式为{'、'.join(version.methods)}。",
        )
    limit = min(version.max_term, MAX_TERM_USED if condition == "used" else MAX_TERM_NEW)
    if cmd.term not in version.terms or cmd.term > limit:
        allowed_terms = [t for t in version.terms if t <= limit]
        raise errors.outside_product(
            "term",
            "term",
            f"This product offers terms of {allowed_terms} months.",
            f"该产品可选期限为{allowed_terms}个月。",
        )
    rate = cmd.rate if cmd.rate is not None else version.rate_default
    if not version.rate_min <= rate <= version.rate_max:
        raise errors.outside_product(
            "rate",
            "rate",
            f"The rate must be between {_pct(version.rate_min)}% and {_pct(version.rate_max)}%.",
            f"利率应在{_pct(version.rate_min)}%至{_pct(version.rate_max)}%之间。",
        )
    down_percent = cmd.down_payment / cmd.price * HUNDRED
    if down_percent < version.min_down_payment_percent:
        raise errors.outside_product(
            "down_payment",
            "down_payment",
            f"The down payment must be at least {_pct(version.min_down_payment_percent)}% of the "
            f"price ({quantize(down_percent)}% given).",
            f"首付比例不得低于{_pct(version.min_down_payment_percent)}%（当前{quantize(down_percent)}%）。",
        )
    principal = cmd.price - cmd.down_payment
    on = cmd.disbursement_date or _today()
    cap = ltv_cap(uow, use=use, powertrain=powertrain, condition=condition, on=on)
    cap_percent = cap.cap_percent if cap is not None else HUNDRED
    if version.max_ltv_percent is not None:
        cap_percent = min(cap_percent, version.max_ltv_percent)
    ltv_percent = principal / cmd.price * HUNDRED
    if ltv_percent > cap_percent:
        raise errors.outside_product(
            "down_payment",
            "ltv",
            f"The loan would be {quantize(ltv_percent)}% of the price; the cap for "
            f"{use} {powertrain} {condition} cars is {_pct(cap_percent)}%. Raise the down payment.",
            f"贷款成数为{quantize(ltv_percent)}%，超过该类车辆上限{_pct(cap_percent)}%，请提高首付。",
        )
    balloon = ZERO
    if cmd.method == "balloon":
        if cmd.balloon is None or cmd.balloon <= ZERO:
            raise invalid(
                "balloon",
                "A balloon quote needs the balloon amount.",
                "尾款贷试算须填写尾款金额。",
                "products.quote.balloon",
            )
        if version.max_balloon_percent is not None and cmd.balloon / principal * HUNDRED > version.max_balloon_percent:
            raise errors.outside_product(
                "balloon",
                "balloon",
                f"The balloon may be at most {_pct(version.max_balloon_percent)}% of the loan.",
                f"尾款不得超过贷款金额的{_pct(version.max_balloon_percent)}%。",
            )
        balloon = cmd.balloon
    terms = calc.LoanTerms(
        principal=principal,
        annual_rate=rate,
        term=cmd.term,
        disbursement_date=on,
        method=cmd.method,
        balloon=balloon,
        fees=_calc_fees(version.fees),
        penalty_rate=version.penalty_rate,
        prepayment_fee_percent=version.prepayment_fee_percent,
    )
    schedule = calc.build_schedule(terms)
    rate_result = calc.annualized_rate(schedule)
    lines = [
        {
            "number": row.number,
            "due_date": row.due_date,
            "principal": row.principal,
            "interest": row.interest,
            "fees": row.fees,
            "total": row.total,
            "balance": row.balance,
        }
        for row in schedule.installments
    ]
    totals = schedule.totals
    return Quote(
        product_code=product.code,
        product_version=version.number,
        principal=principal,
        net_disbursed=schedule.net_disbursed,
        annual_rate=rate,
        term=cmd.term,
        method=cmd.method,
        ltv_percent=quantize(ltv_percent),
        ltv_cap_percent=cap_percent,
        down_payment_percent=quantize(down_percent),
        total_interest=totals.interest,
        total_fees=totals.fees + schedule.upfront_fees_deducted,
        total_repayment=totals.total,
        annualized_rate_simple=quantize(rate_result.simple, 4),
        annualized_rate_compound=quantize(rate_result.compound, 4),
        schedule=lines,
    )

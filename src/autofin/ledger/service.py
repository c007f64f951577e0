"""Ledger use cases: post business events through the posting rules, manual vouchers (maker → checker),
reversals, period close / reopen, chart-of-accounts and rule maintenance.

Every use case takes the unit of work and the acting user, checks the permission, changes, audits and returns;
the caller commits. Journal rows are written with bulk Core inserts (entries, lines, daily balances) so that a
batch of thousands of events posts in one round of statements.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import JSON, Table, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from autofin.audit import service as audit
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import Text, ValidationFailed, invalid
from autofin.kernel.money import ZERO, D, to_minor
from autofin.ledger import checks, errors
from autofin.ledger.figures import Checklist
from autofin.ledger.models import (
    ACTIVITIES,
    DailyBalance,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    LedgerPeriod,
    ManualVoucher,
    ManualVoucherLine,
    PostingRuleLineRow,
    PostingRuleRow,
)
from autofin.ledger.permissions import (
    APPROVE_VOUCHERS,
    CLOSE_PERIODS,
    CREATE_VOUCHERS,
    MANAGE_ACCOUNTS,
    MANAGE_RULES,
    POST_EVENTS,
    REOPEN_PERIODS,
    REVERSE_ENTRIES,
    VIEW_ACCOUNTS,
    VIEW_ENTRIES,
)
from autofin.ledger.rules.engine import (
    Basis,
    NegativeAmount,
    PostingLine,
    Rule,
    RuleLine,
    Side,
    apply_rule,
    select_rule,
)
from autofin.ledger.rules.expressions import ExpressionError, parse
from autofin.platform import service as platform

ENTRY_TABLE = cast(Table, JournalEntry.__table__)
LINE_TABLE = cast(Table, JournalLine.__table__)
PERIOD_TABLE = cast(Table, LedgerPeriod.__table__)
BALANCE_TABLE = cast(Table, DailyBalance.__table__)

# Re-exported so other domains register their subledger = GL checks through this service (dependency rules).
register_subledger_check = checks.register_subledger_check
unregister_subledger_check = checks.unregister_subledger_check
register_rate_provider = checks.register_rate_provider
unregister_rate_provider = checks.unregister_rate_provider

VOUCHER_WORD = "记"  # 记账凭证 (general voucher word)
MANUAL_EVENT = "manual.voucher"
REVERSAL_EVENT = "entry.reversed"
CARRY_PROFIT_EVENT = "year_end.carry_profit"
CARRY_RETAINED_EVENT = "year_end.carry_retained"
YEAR_END_EVENTS = (CARRY_PROFIT_EVENT, CARRY_RETAINED_EVENT)
CURRENT_YEAR_PROFIT = "4103"
RETAINED_EARNINGS = "4104"

# The ledger's settings are parameters of the config centre (versioned, dated, audited like every other).
SETTING_PARAMETERS: dict[str, str] = {
    "vat_enabled": "ledger.vat_enabled",
    "vat_rate": "tax.vat_rate",
    "basis": "ledger.basis",
}
SETTING_DEFAULTS: dict[str, Any] = {"vat_enabled": True, "vat_rate": D("0.06"), "basis": "accrual"}
SETTING_KEYS = frozenset(SETTING_PARAMETERS)


# ---------------------------------------------------------------------------------------------- inputs / outputs
@dataclass(frozen=True)
class PostingRequest:
    """A business event to book: servicing and origination send these (via a thin event subscriber).

    ``amounts`` are named amounts in yuan with at most two places (e.g. ``principal``, ``interest``); the rule
    for ``event_type`` decides the accounts. ``source_type``/``source_id`` identify the business record and make
    posting idempotent: the same source again with the same content returns the entry already posted.
    """

    event_type: str
    source_type: str
    source_id: str
    business_date: date
    amounts: Mapping[str, Decimal]
    dimensions: Mapping[str, Any] = field(default_factory=dict)  # e.g. loan_id, product, branch
    description: str = ""
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostedEntry:
    id: int
    voucher_no: str
    period: str
    business_date: date
    event_type: str
    lines: tuple[PostingLine, ...]
    total: Decimal
    already_posted: bool = False  # an idempotent replay of the same source and content


@dataclass(frozen=True)
class LedgerConfig:
    vat_enabled: bool
    vat_rate: Decimal
    basis: Basis

    @property
    def effective_vat_rate(self) -> Decimal:
        return self.vat_rate if self.vat_enabled else ZERO


@dataclass(frozen=True)
class AccountInfo:
    id: int
    code: str
    type: str
    normal_balance: str
    active: bool
    is_parent: bool


@dataclass(frozen=True)
class VoucherLineInput:
    account_code: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    memo: str = ""
    activity: str | None = None  # cash-flow activity of a cash-account line (default: inferred)


@dataclass(frozen=True)
class VoucherInput:
    business_date: date
    description: str
    lines: Sequence[VoucherLineInput]
    attachments: tuple[str, ...] = ()
    counterparty: str | None = None  # 对方单位, shown in the cash journal


@dataclass
class _Context:
    accounts: dict[str, AccountInfo]
    rules: list[Rule]
    config: LedgerConfig

    @property
    def account_types(self) -> dict[str, str]:
        return {code: info.type for code, info in self.accounts.items()}


@dataclass
class _Draft:
    business_date: date
    event_type: str
    source_type: str
    source_id: str
    fingerprint: str
    description: str
    dimensions: dict[str, Any]
    attachments: list[str]
    lines: list[PostingLine]
    reverses_entry_id: int | None = None
    approved_by: str | None = None


# ------------------------------------------------------------------------------------------------- helpers
def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_period(value: str) -> tuple[date, date]:
    """First and last day of a ``YYYY-MM`` period (422 ``ledger.period.invalid`` otherwise)."""
    try:
        year_text, month_text = value.split("-")
        if len(year_text) != 4 or len(month_text) != 2:
            raise ValueError(value)
        start = date(int(year_text), int(month_text), 1)
    except ValueError:
        raise errors.bad_period(value) from None
    following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def voucher_number(period: str, sequence: int) -> str:
    return f"{VOUCHER_WORD}-{period}-{sequence:04d}"


def _dialect_insert(uow: UnitOfWork, table: Table) -> Any:
    if uow.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _fingerprint(parts: Mapping[str, Any]) -> str:
    canonical = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _cache(uow: UnitOfWork) -> dict[str, Any]:
    cache: dict[str, Any] | None = getattr(uow, "_ledger_cache", None)
    if cache is None:
        cache = {}
        uow._ledger_cache = cache  # type: ignore[attr-defined]  # per unit of work, dropped with it
    return cache


def _forget_cache(uow: UnitOfWork) -> None:
    uow._ledger_cache = {}  # type: ignore[attr-defined]


def load_accounts(uow: UnitOfWork) -> dict[str, AccountInfo]:
    cache = _cache(uow)
    if "accounts" not in cache:
        rows = uow.session.execute(
            select(
                LedgerAccount.id,
                LedgerAccount.code,
                LedgerAccount.type,
                LedgerAccount.normal_balance,
                LedgerAccount.active,
                LedgerAccount.parent_code,
            )
        ).all()
        parents = {row.parent_code for row in rows if row.parent_code}
        cache["accounts"] = {
            row.code: AccountInfo(row.id, row.code, row.type, row.normal_balance, row.active, row.code in parents)
            for row in rows
        }
    accounts: dict[str, AccountInfo] = cache["accounts"]
    return accounts


def load_rules(uow: UnitOfWork) -> list[Rule]:
    cache = _cache(uow)
    if "rules" not in cache:
        rows = uow.session.scalars(
            select(PostingRuleRow).where(PostingRuleRow.active.is_(True)).options(selectinload(PostingRuleRow.lines))
        ).all()
        cache["rules"] = [_rule_of(row) for row in rows]
    rules: list[Rule] = cache["rules"]
    return rules


def _rule_of(row: PostingRuleRow) -> Rule:
    return Rule(
        row.event_type,
        Basis(row.basis),
        tuple(RuleLine(ln.account_code, Side(ln.side), ln.expression, ln.memo, ln.activity) for ln in row.lines),
        row.description_en,
        row.description_zh,
    )


def ledger_config(uow: UnitOfWork) -> LedgerConfig:
    """VAT separation on/off, VAT rate and accounting basis, from the config centre (defaults if unset)."""
    cache = _cache(uow)
    if "config" not in cache:
        values = {
            name: platform.get_parameter(uow, key, default=SETTING_DEFAULTS[name])
            for name, key in SETTING_PARAMETERS.items()
        }
        cache["config"] = LedgerConfig(
            vat_enabled=bool(values["vat_enabled"]), vat_rate=D(str(values["vat_rate"])), basis=Basis(values["basis"])
        )
    config: LedgerConfig = cache["config"]
    return config


def _context(uow: UnitOfWork) -> _Context:
    return _Context(load_accounts(uow), load_rules(uow), ledger_config(uow))


def _check_postable(accounts: Mapping[str, AccountInfo], code: str) -> AccountInfo:
    info = accounts.get(code)
    if info is None:
        raise errors.account_not_found(code)
    if not info.active:
        raise errors.account_not_postable(code, "it is inactive", "该科目已停用")
    if info.is_parent:
        raise errors.account_not_postable(
            code, "it has sub-accounts; post to one of them", "该科目有下级科目，请记入明细科目"
        )
    return info


def _check_balanced(lines: Sequence[PostingLine], account_types: Mapping[str, str]) -> None:
    problems = checks.entry_balance_errors(lines, account_types)
    if problems:
        debit = sum((ln.debit for ln in lines), ZERO)
        credit = sum((ln.credit for ln in lines), ZERO)
        raise errors.unbalanced(debit, credit, problems)


def _check_activity(field_name: str, value: str | None) -> None:
    if value and value not in ACTIVITIES:
        raise invalid(
            field_name,
            f"'{value}' is not a cash-flow activity; use one of {', '.join(ACTIVITIES)}.",
            f"“{value}”不是现金流量活动类别，可选：经营 operating、投资 investing、筹资 financing。",
            "ledger.line.activity",
        )


def _check_cents(field_name: str, value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise invalid(field_name, "Give the amount as a decimal number.", "金额须为十进制数。", "ledger.amount.invalid")
    if value != value.quantize(Decimal("0.01")):
        raise invalid(
            field_name,
            f"{value} has more than two decimal places; round it to the cent before posting.",
            f"{value} 超过两位小数，请先四舍五入到分再记账。",
            "ledger.amount.precision",
        )


# ------------------------------------------------------------------------------------------------- posting
def post_event(uow: UnitOfWork, actor: Actor, request: PostingRequest) -> PostedEntry | None:
    """Book one business event through its posting rule; ``None`` when the rule books nothing on this basis."""
    return post_events(uow, actor, [request])[0]


def post_events(uow: UnitOfWork, actor: Actor, requests: Sequence[PostingRequest]) -> list[PostedEntry | None]:
    """Book a batch of business events (one result per request, in order), in the caller's transaction."""
    actor.require(POST_EVENTS)
    context = _context(uow)
    drafts: list[_Draft | None] = []
    for request in requests:
        drafts.append(_draft_for_event(context, request))
    results: list[PostedEntry | None] = [None] * len(requests)
    to_write: list[tuple[int, _Draft]] = []
    replays = _existing_entries(uow, [d for d in drafts if d is not None])
    seen: dict[tuple[str, str, str], tuple[str, int]] = {}
    for index, draft in enumerate(drafts):
        if draft is None:
            continue
        key = (draft.event_type, draft.source_type, draft.source_id)
        if key in replays:
            existing = replays[key]
            if existing.fingerprint != draft.fingerprint:
                raise errors.duplicate_event(draft.event_type, f"{draft.source_type}:{draft.source_id}")
            results[index] = _posted_from_row(existing, draft.lines, already_posted=True)
            continue
        if key in seen:
            fingerprint, _first_index = seen[key]
            if fingerprint != draft.fingerprint:
                raise errors.duplicate_event(draft.event_type, f"{draft.source_type}:{draft.source_id}")
            to_write.append((index, draft))  # resolved below to the first one's entry
            continue
        seen[key] = (draft.fingerprint, index)
        to_write.append((index, draft))
    unique = [(i, d) for i, d in to_write if seen[(d.event_type, d.source_type, d.source_id)][1] == i]
    written = _write_entries(uow, actor, [d for _i, d in unique], context)
    by_key: dict[tuple[str, str, str], PostedEntry] = {}
    for (index, draft), entry in zip(unique, written, strict=True):
        results[index] = entry
        by_key[(draft.event_type, draft.source_type, draft.source_id)] = entry
    for index, draft in to_write:
        if results[index] is None:
            first = by_key[(draft.event_type, draft.source_type, draft.source_id)]
            results[index] = PostedEntry(**{**first.__dict__, "already_posted": True})
    if written:
        audit.record(
            uow,
            actor,
            "ledger.entry.post_events",
            "ledger_entry",
            written[0].id,
            after={
                "entries": len(written),
                "vouchers": [written[0].voucher_no, written[-1].voucher_no],
                "event_types": sorted({entry.event_type for entry in written}),
                "total": str(sum((entry.total for entry in written), ZERO)),
            },
        )
    return results


def _draft_for_event(context: _Context, request: PostingRequest) -> _Draft | None:
    event_rules = [rule for rule in context.rules if rule.event_type == request.event_type]
    if not event_rules:
        raise errors.no_rule(request.event_type, context.config.basis.value)
    allowed: set[str] = set()
    for candidate in event_rules:
        allowed |= candidate.amount_names()
    unknown = sorted(set(request.amounts) - allowed)
    if unknown:
        raise errors.unknown_amounts(request.event_type, unknown, sorted(allowed))
    for name, value in request.amounts.items():
        _check_cents(f"amounts.{name}", value)
    if not request.source_type or not request.source_id:
        raise invalid("source_id", "Name the business record this event comes from.", "请提供事件来源单据。")
    basis = context.config.basis
    rule = select_rule(event_rules, request.event_type, basis)
    if rule is None:
        raise errors.no_rule(request.event_type, basis.value)
    if not rule.lines:
        return None  # e.g. interest accrual on a cash basis: nothing to book
    try:
        lines = apply_rule(rule, request.amounts, context.config.effective_vat_rate)
    except NegativeAmount as exc:
        raise errors.negative_line(exc.event_type, exc.account_code, exc.expression, exc.value) from exc
    if not lines:
        raise errors.nothing_to_post(request.event_type)
    for line in lines:
        _check_postable(context.accounts, line.account_code)
    _check_balanced(lines, context.account_types)
    amounts_text = ";".join(f"{k}={v:.2f}" for k, v in sorted(request.amounts.items()) if v != ZERO)
    dimensions_text = ";".join(f"{k}={v}" for k, v in sorted(request.dimensions.items()))
    fingerprint = hashlib.sha256(
        f"{request.event_type}|{request.business_date.isoformat()}|{amounts_text}|{dimensions_text}".encode()
    ).hexdigest()
    return _Draft(
        business_date=request.business_date,
        event_type=request.event_type,
        source_type=request.source_type,
        source_id=str(request.source_id),
        fingerprint=fingerprint,
        description=request.description or rule.description_zh or request.event_type,
        dimensions=dict(request.dimensions),
        attachments=list(request.attachments),
        lines=lines,
    )


def _existing_entries(uow: UnitOfWork, drafts: Sequence[_Draft]) -> dict[tuple[str, str, str], Any]:
    if not drafts:
        return {}
    found: dict[tuple[str, str, str], Any] = {}
    source_ids = sorted({d.source_id for d in drafts})
    wanted = {(d.event_type, d.source_type, d.source_id) for d in drafts}
    table = ENTRY_TABLE
    for start in range(0, len(source_ids), 1000):
        chunk = source_ids[start : start + 1000]
        rows = uow.session.execute(
            select(
                table.c.id,
                table.c.voucher_no,
                table.c.period,
                table.c.business_date,
                table.c.event_type,
                table.c.source_type,
                table.c.source_id,
                table.c.fingerprint,
                table.c.total_debit,
            ).where(table.c.source_id.in_(chunk))
        ).all()
        for row in rows:
            key = (row.event_type, row.source_type, row.source_id)
            if key in wanted:
                found[key] = row
    return found


def _posted_from_row(row: Any, lines: Sequence[PostingLine], *, already_posted: bool) -> PostedEntry:
    return PostedEntry(
        id=row.id,
        voucher_no=row.voucher_no,
        period=row.period,
        business_date=row.business_date,
        event_type=row.event_type,
        lines=tuple(lines),
        total=row.total_debit,
        already_posted=already_posted,
    )


def _lock_periods(uow: UnitOfWork, periods: Iterable[str]) -> dict[str, Any]:
    """Create missing period rows, then lock them FOR UPDATE in a fixed order (no deadlocks between batches)."""
    wanted = sorted(set(periods))
    table = PERIOD_TABLE
    statement = _dialect_insert(uow, table).on_conflict_do_nothing(index_elements=["period"])
    uow.session.execute(statement, [{"period": p, "status": "open", "last_sequence": 0} for p in wanted])
    rows = uow.session.execute(
        select(table.c.id, table.c.period, table.c.status, table.c.last_sequence)
        .where(table.c.period.in_(wanted))
        .order_by(table.c.period)
        .with_for_update()
    ).all()
    return {row.period: row for row in rows}


def _write_entries(uow: UnitOfWork, actor: Actor, drafts: Sequence[_Draft], context: _Context) -> list[PostedEntry]:
    """Number, insert and balance-maintain a batch of checked drafts. Refuses any date in a closed period."""
    if not drafts:
        return []
    uow.session.flush()
    periods = _lock_periods(uow, (period_of(d.business_date) for d in drafts))
    for name, row in periods.items():
        if row.status != "open":
            raise errors.period_closed(name)
    next_sequence = {name: row.last_sequence for name, row in periods.items()}
    now = utcnow()
    entry_rows: list[dict[str, Any]] = []
    for draft in drafts:
        period = period_of(draft.business_date)
        next_sequence[period] += 1
        total = sum((line.debit for line in draft.lines), ZERO)
        entry_rows.append(
            {
                "voucher_no": voucher_number(period, next_sequence[period]),
                "period": period,
                "sequence": next_sequence[period],
                "business_date": draft.business_date,
                "event_type": draft.event_type,
                "source_type": draft.source_type,
                "source_id": draft.source_id,
                "fingerprint": draft.fingerprint,
                "description": draft.description[:300],
                "dimensions": draft.dimensions,
                "attachments": draft.attachments,
                "reverses_entry_id": draft.reverses_entry_id,
                "total_debit": total,
                "total_credit": total,
                "posted_by": actor.username,
                "approved_by": draft.approved_by,
                "posted_at": now,
            }
        )
    period_table = PERIOD_TABLE
    for name, last in next_sequence.items():
        if last != periods[name].last_sequence:
            uow.session.execute(
                update(period_table).where(period_table.c.id == periods[name].id).values(last_sequence=last)
            )
    entry_table = ENTRY_TABLE
    _bulk_insert(uow, entry_table, entry_rows)
    # Read the new ids back by (period, sequence): one indexed range query per period, faster than RETURNING
    # row by row, and the numbers are ours alone while the period rows stay locked.
    id_of: dict[tuple[str, int], int] = {}
    for name, last in next_sequence.items():
        first = periods[name].last_sequence + 1
        if last < first:
            continue
        for row in uow.session.execute(
            select(entry_table.c.id, entry_table.c.sequence).where(
                entry_table.c.period == name, entry_table.c.sequence.between(first, last)
            )
        ):
            id_of[(name, row.sequence)] = row.id
    ids = [id_of[(row["period"], row["sequence"])] for row in entry_rows]
    line_rows: list[dict[str, Any]] = []
    movements: dict[tuple[int, date], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for entry_id, draft, entry_row in zip(ids, drafts, entry_rows, strict=True):
        for number, line in enumerate(draft.lines, start=1):
            account_id = context.accounts[line.account_code].id
            line_rows.append(
                {
                    "entry_id": entry_id,
                    "line_no": number,
                    "account_id": account_id,
                    "business_date": draft.business_date,
                    "period": entry_row["period"],
                    "debit": line.debit,
                    "credit": line.credit,
                    "memo": line.memo[:200],
                    "activity": line.activity,
                }
            )
            movement = movements[(account_id, draft.business_date)]
            movement[0] += line.debit
            movement[1] += line.credit
    _bulk_insert(uow, LINE_TABLE, line_rows)
    _add_to_daily_balances(uow, movements)
    return [
        PostedEntry(
            id=entry_id,
            voucher_no=row["voucher_no"],
            period=row["period"],
            business_date=row["business_date"],
            event_type=row["event_type"],
            lines=tuple(draft.lines),
            total=row["total_debit"],
        )
        for entry_id, row, draft in zip(ids, entry_rows, drafts, strict=True)
    ]


MAX_BIND_PARAMETERS = 30_000


def _bulk_insert(uow: UnitOfWork, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in the session's transaction: SQLite's executemany is fast already; on PostgreSQL the rows
    go through COPY (psycopg's executemany would send one statement per row)."""
    if not rows:
        return
    connection = uow.session.connection()
    if connection.dialect.name != "postgresql":
        uow.session.execute(table.insert(), rows)
        return
    names = list(rows[0])
    converters = [_copy_converter(table.c[name].type) for name in names]
    raw: Any = connection.connection.dbapi_connection
    assert raw is not None  # noqa: S101 - the session holds a live connection here
    column_list = ", ".join(f'"{name}"' for name in names)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([convert(row[name]) for name, convert in zip(names, converters, strict=True)])


def _copy_converter(column_type: Any) -> Any:
    from autofin.db.types import Money, UTCDateTime

    if isinstance(column_type, Money):
        return lambda value: None if value is None else to_minor(value)
    if isinstance(column_type, JSON):
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(column_type, UTCDateTime):
        return lambda value: value
    return lambda value: value


def _add_to_daily_balances(uow: UnitOfWork, movements: Mapping[tuple[int, date], list[Decimal]]) -> None:
    table = BALANCE_TABLE
    statement = _dialect_insert(uow, table)
    statement = statement.on_conflict_do_update(
        index_elements=["account_id", "balance_date"],
        set_={"debit": table.c.debit + statement.excluded.debit, "credit": table.c.credit + statement.excluded.credit},
    )
    ordered = sorted(movements.items())  # a fixed lock order: concurrent batches cannot deadlock on these rows
    if not ordered:
        return
    if uow.session.get_bind().dialect.name == "postgresql":
        # One statement over arrays instead of one upsert per row.
        uow.session.execute(
            text(
                "INSERT INTO ledger_daily_balance (account_id, balance_date, debit, credit) "
                "SELECT * FROM unnest(CAST(:accounts AS bigint[]), CAST(:days AS date[]), "
                "CAST(:debits AS bigint[]), CAST(:credits AS bigint[])) "
                "ON CONFLICT (account_id, balance_date) DO UPDATE SET "
                "debit = ledger_daily_balance.debit + excluded.debit, "
                "credit = ledger_daily_balance.credit + excluded.credit"
            ),
            {
                "accounts": [key[0] for key, _value in ordered],
                "days": [key[1] for key, _value in ordered],
                "debits": [to_minor(value[0]) for _key, value in ordered],
                "credits": [to_minor(value[1]) for _key, value in ordered],
            },
        )
        return
    rows = [
        {"account_id": account_id, "balance_date": day, "debit": debit, "credit": credit}
        for (account_id, day), (debit, credit) in ordered
    ]
    uow.session.execute(statement, rows)


# ------------------------------------------------------------------------------------------------- reversal
def reverse_entry(
    uow: UnitOfWork, actor: Actor, entry_id: int, reason: str, business_date: date | None = None
) -> PostedEntry:
    """红字冲销: post the mirror image of an entry (same date unless given; the date's period must be open)."""
    actor.require(REVERSE_ENTRIES)
    if not reason or len(reason.strip()) < 2:
        raise invalid("reason", "Say why the entry is reversed.", "请填写冲销原因。", "ledger.entry.reason_required")
    original = uow.session.get(JournalEntry, entry_id)
    if original is None:
        raise errors.entry_not_found(entry_id)
    if original.reverses_entry_id is not None:
        raise errors.reversal_of_reversal(original.voucher_no)
    already = uow.session.scalar(select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id))
    if already is not None:
        raise errors.already_reversed(original.voucher_no)
    context = _context(uow)
    codes = {info.id: code for code, info in context.accounts.items()}
    lines = [
        PostingLine(
            codes[line.account_id], line.credit, line.debit, f"冲销 reversal: {line.memo}"[:200], line.activity
        )
        for line in original.lines
    ]
    day = business_date or original.business_date
    draft = _Draft(
        business_date=day,
        event_type=REVERSAL_EVENT,
        source_type="ledger_entry",
        source_id=str(original.id),
        fingerprint=_fingerprint({"reverses": original.id, "date": day.isoformat()}),
        description=f"冲销 {original.voucher_no}：{reason.strip()}",
        dimensions=dict(original.dimensions or {}),
        attachments=[],
        lines=lines,
        reverses_entry_id=original.id,
    )
    (posted,) = _write_entries(uow, actor, [draft], context)
    audit.record(
        uow,
        actor,
        "ledger.entry.reverse",
        "ledger_entry",
        posted.id,
        before={"voucher_no": original.voucher_no},
        after={"voucher_no": posted.voucher_no, "reason": reason.strip(), "business_date": day},
    )
    return posted


# ------------------------------------------------------------------------------------------ manual vouchers
def create_voucher(uow: UnitOfWork, actor: Actor, command: VoucherInput) -> ManualVoucher:
    """制单: a manual voucher in draft, waiting for a different person to approve it."""
    actor.require(CREATE_VOUCHERS)
    if not command.description.strip():
        raise invalid(
            "description", "Describe what the voucher books.", "请填写凭证摘要。", "ledger.voucher.description"
        )
    accounts = load_accounts(uow)
    lines: list[PostingLine] = []
    for number, line in enumerate(command.lines, start=1):
        _check_cents(f"lines.{number}.debit", line.debit)
        _check_cents(f"lines.{number}.credit", line.credit)
        _check_postable(accounts, line.account_code)
        _check_activity(f"lines.{number}.activity", line.activity)
        lines.append(PostingLine(line.account_code, line.debit, line.credit, line.memo, line.activity or None))
    _check_balanced(lines, {code: info.type for code, info in accounts.items()})
    period = period_of(command.business_date)
    _refuse_closed(uow, period)
    voucher = ManualVoucher(
        business_date=command.business_date,
        period=period,
        description=command.description.strip(),
        status="draft",
        maker_id=actor.user_id,
        maker_name=actor.username,
        attachments=list(command.attachments),
        counterparty=(command.counterparty or "").strip()[:100] or None,
        lines=[
            ManualVoucherLine(
                line_no=n,
                account_code=ln.account_code,
                debit=ln.debit,
                credit=ln.credit,
                memo=ln.memo,
                activity=ln.activity,
            )
            for n, ln in enumerate(lines, start=1)
        ],
    )
    uow.session.add(voucher)
    uow.flush()
    audit.record(uow, actor, "ledger.voucher.create", "ledger_voucher", voucher.id, after=_voucher_summary(voucher))
    return voucher


def approve_voucher(uow: UnitOfWork, actor: Actor, voucher_id: int, version: int | None = None) -> ManualVoucher:
    """复核: a checker other than the maker approves the draft; it is posted with the next voucher number."""
    actor.require(APPROVE_VOUCHERS)
    voucher = _draft_voucher(uow, actor, voucher_id, version)
    context = _context(uow)
    lines = [PostingLine(ln.account_code, ln.debit, ln.credit, ln.memo, ln.activity) for ln in voucher.lines]
    for line in lines:
        _check_postable(context.accounts, line.account_code)
    _check_balanced(lines, context.account_types)
    draft = _Draft(
        business_date=voucher.business_date,
        event_type=MANUAL_EVENT,
        source_type="ledger_voucher",
        source_id=str(voucher.id),
        fingerprint=_fingerprint({"voucher": voucher.id}),
        description=voucher.description,
        dimensions={"counterparty": voucher.counterparty} if voucher.counterparty else {},
        attachments=list(voucher.attachments or []),
        lines=lines,
        approved_by=actor.username,
    )
    (posted,) = _write_entries(uow, actor, [draft], context)
    before = _voucher_summary(voucher)
    voucher.status = "posted"
    voucher.checker_id = actor.user_id
    voucher.checker_name = actor.username
    voucher.decided_at = utcnow()
    voucher.entry_id = posted.id
    uow.flush()
    audit.record(
        uow,
        actor,
        "ledger.voucher.approve",
        "ledger_voucher",
        voucher.id,
        before=before,
        after={**_voucher_summary(voucher), "voucher_no": posted.voucher_no},
    )
    return voucher


def reject_voucher(
    uow: UnitOfWork, actor: Actor, voucher_id: int, reason: str, version: int | None = None
) -> ManualVoucher:
    actor.require(APPROVE_VOUCHERS)
    if not reason or not reason.strip():
        raise invalid(
            "reason", "Say why the voucher is rejected.", "请填写驳回原因。", "ledger.voucher.reason_required"
        )
    voucher = _draft_voucher(uow, actor, voucher_id, version)
    before = _voucher_summary(voucher)
    voucher.status = "rejected"
    voucher.checker_id = actor.user_id
    voucher.checker_name = actor.username
    voucher.decided_at = utcnow()
    voucher.reject_reason = reason.strip()[:300]
    uow.flush()
    audit.record(
        uow,
        actor,
        "ledger.voucher.reject",
        "ledger_voucher",
        voucher.id,
        before=before,
        after={**_voucher_summary(voucher), "reason": voucher.reject_reason},
    )
    return voucher


def get_voucher(uow: UnitOfWork, actor: Actor, voucher_id: int) -> ManualVoucher:
    actor.require(VIEW_ENTRIES)
    voucher = uow.session.get(ManualVoucher, voucher_id)
    if voucher is None:
        raise errors.voucher_not_found(voucher_id)
    return voucher


def list_vouchers(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: str | None = None,
    period: str | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[ManualVoucher], int]:
    actor.require(VIEW_ENTRIES)
    statement = select(ManualVoucher)
    if status:
        statement = statement.where(ManualVoucher.status == status)
    if period:
        parse_period(period)
        statement = statement.where(ManualVoucher.period == period)
    return fetch_page(
        uow.session, statement, (ManualVoucher.id.desc(),), page, size, options=(selectinload(ManualVoucher.lines),)
    )


def _draft_voucher(uow: UnitOfWork, actor: Actor, voucher_id: int, version: int | None) -> ManualVoucher:
    voucher = uow.session.get(ManualVoucher, voucher_id, with_for_update=True)
    if voucher is None:
        raise errors.voucher_not_found(voucher_id)
    ensure_version(voucher, version, "voucher 凭证")
    if voucher.status != "draft":
        raise errors.voucher_not_draft(voucher_id, voucher.status)
    same_person = (
        voucher.maker_id == actor.user_id
        if voucher.maker_id is not None and actor.user_id is not None
        else voucher.maker_name == actor.username
    )
    if same_person:
        raise errors.maker_cannot_check(voucher_id)
    return voucher


def _voucher_summary(voucher: ManualVoucher) -> dict[str, Any]:
    return {
        "business_date": voucher.business_date,
        "description": voucher.description,
        "status": voucher.status,
        "maker": voucher.maker_name,
        "checker": voucher.checker_name,
        "lines": [[ln.account_code, str(ln.debit), str(ln.credit)] for ln in voucher.lines],
    }


def _refuse_closed(uow: UnitOfWork, period: str) -> None:
    status = uow.session.scalar(select(LedgerPeriod.status).where(LedgerPeriod.period == period))
    if status == "closed":
        raise errors.period_closed(period)


# ------------------------------------------------------------------------------------------------- entries
def get_entry(uow: UnitOfWork, actor: Actor, entry_id: int) -> JournalEntry:
    actor.require(VIEW_ENTRIES)
    entry = uow.session.scalar(
        select(JournalEntry).where(JournalEntry.id == entry_id).options(selectinload(JournalEntry.lines))
    )
    if entry is None:
        raise errors.entry_not_found(entry_id)
    return entry


def list_entries(
    uow: UnitOfWork,
    actor: Actor,
    *,
    period: str | None = None,
    account: str | None = None,
    source_type: str | None = None,
    source_id: str | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[JournalEntry], int]:
    """Journal entries, newest voucher first, filtered by period, account (with its sub-accounts) or source."""
    actor.require(VIEW_ENTRIES)
    statement = select(JournalEntry)
    if period:
        parse_period(period)
        statement = statement.where(JournalEntry.period == period)
    if account:
        account_ids = account_ids_under(uow, account)
        statement = statement.where(
            JournalEntry.id.in_(select(JournalLine.entry_id).where(JournalLine.account_id.in_(account_ids)))
        )
    if source_type:
        statement = statement.where(JournalEntry.source_type == source_type)
    if source_id:
        statement = statement.where(JournalEntry.source_id == source_id)
    return fetch_page(
        uow.session,
        statement,
        (JournalEntry.business_date.desc(), JournalEntry.id.desc()),
        page,
        size,
        options=(selectinload(JournalEntry.lines),),
    )


def account_ids_under(uow: UnitOfWork, code: str) -> list[int]:
    """The account and all its descendants (a parent account's figures are its children's)."""
    accounts = uow.session.execute(select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.parent_code)).all()
    if not any(row.code == code for row in accounts):
        raise errors.account_not_found(code)
    wanted = {code}
    changed = True
    while changed:
        changed = False
        for row in accounts:
            if row.parent_code in wanted and row.code not in wanted:
                wanted.add(row.code)
                changed = True
    return [row.id for row in accounts if row.code in wanted]


# --------------------------------------------------------------------------------------- chart and settings
def list_accounts(
    uow: UnitOfWork, actor: Actor, *, q: str | None = None, include_inactive: bool = True
) -> list[LedgerAccount]:
    actor.require(VIEW_ACCOUNTS)
    statement = select(LedgerAccount).order_by(LedgerAccount.code)
    if q:
        pattern = f"%{q}%"
        statement = statement.where(
            LedgerAccount.code.like(pattern)
            | LedgerAccount.name_zh.like(pattern)
            | LedgerAccount.name_en.ilike(pattern)
        )
    if not include_inactive:
        statement = statement.where(LedgerAccount.active.is_(True))
    return list(uow.session.scalars(statement).all())


ACCOUNT_TYPES = ("asset", "liability", "equity", "income", "expense", "off_balance")


def create_account(
    uow: UnitOfWork,
    actor: Actor,
    *,
    code: str,
    name_zh: str,
    name_en: str,
    type: str,
    parent_code: str | None = None,
    normal_balance: str | None = None,
) -> LedgerAccount:
    """Add an account to the chart (e.g. a bank account under 1002). A parent with postings cannot get children."""
    from autofin.ledger.rules.defaults import NORMAL_BALANCE_OF_TYPE

    actor.require(MANAGE_ACCOUNTS)
    if not code.isdigit() or not 4 <= len(code) <= 20:
        raise invalid(
            "code", "An account code is 4 to 20 digits.", "科目代码为 4 到 20 位数字。", "ledger.account.code"
        )
    if type not in ACCOUNT_TYPES:
        raise invalid(
            "type", f"Type must be one of {', '.join(ACCOUNT_TYPES)}.", "科目类型无效。", "ledger.account.type"
        )
    if uow.session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code)) is not None:
        raise invalid("code", f"Account {code} already exists.", f"科目 {code} 已存在。", "ledger.account.duplicate")
    if parent_code is not None:
        parent = uow.session.scalar(select(LedgerAccount).where(LedgerAccount.code == parent_code))
        if parent is None:
            raise errors.account_not_found(parent_code)
        if not code.startswith(parent_code):
            raise invalid(
                "code",
                f"A sub-account of {parent_code} starts with {parent_code}.",
                f"{parent_code} 的下级科目代码须以 {parent_code} 开头。",
                "ledger.account.code",
            )
        has_lines = uow.session.scalar(select(JournalLine.id).where(JournalLine.account_id == parent.id).limit(1))
        if has_lines is not None:
            raise errors.account_not_postable(
                parent_code,
                "it already has postings, so it cannot get sub-accounts",
                "该科目已有发生额，不能增设下级科目",
            )
        type = parent.type
    account = LedgerAccount(
        code=code,
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        type=type,
        parent_code=parent_code,
        currency="CNY",
        normal_balance=normal_balance or NORMAL_BALANCE_OF_TYPE[type],
        active=True,
    )
    uow.session.add(account)
    uow.flush()
    _forget_cache(uow)
    audit.record(
        uow,
        actor,
        "ledger.account.create",
        "ledger_account",
        account.id,
        after={"code": code, "name_zh": name_zh, "type": type, "parent_code": parent_code},
    )
    return account


def set_account_active(uow: UnitOfWork, actor: Actor, code: str, active: bool) -> LedgerAccount:
    actor.require(MANAGE_ACCOUNTS)
    account = uow.session.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    if account is None:
        raise errors.account_not_found(code)
    before = {"active": account.active}
    account.active = active
    uow.flush()
    _forget_cache(uow)
    audit.record(
        uow, actor, "ledger.account.set_active", "ledger_account", account.id, before=before, after={"active": active}
    )
    return account


def set_setting(uow: UnitOfWork, actor: Actor, key: str, value: str) -> LedgerConfig:
    """Change ``vat_enabled`` (true/false), ``vat_rate`` (e.g. 0.06) or ``basis`` (accrual/cash), checked here and
    stored as a new version of the config-centre parameter (which also needs ``platform.parameter.manage``)."""
    actor.require(MANAGE_RULES)
    if key not in SETTING_KEYS:
        raise invalid(
            "key",
            f"Unknown setting; use one of {', '.join(sorted(SETTING_KEYS))}.",
            "未知的账务设置项。",
            "ledger.setting.unknown",
        )
    value = value.strip().lower()
    valid = (
        value in ("true", "false")
        if key == "vat_enabled"
        else value in ("accrual", "cash")
        if key == "basis"
        else _is_rate(value)
    )
    if not valid:
        raise invalid(
            "value",
            f"'{value}' is not a valid value for {key}.",
            f"“{value}”不是 {key} 的有效值。",
            "ledger.setting.invalid",
        )
    typed: Any = value == "true" if key == "vat_enabled" else D(value) if key == "vat_rate" else value
    # The config centre keeps the history and writes the audit row; this use case adds the ledger's own checks.
    platform.change_parameter(
        uow, actor, SETTING_PARAMETERS[key],
        platform.ParameterChange(value=str(typed) if key == "vat_rate" else typed, note=f"ledger setting {key}"),
    )
    _forget_cache(uow)
    return ledger_config(uow)


def _is_rate(value: str) -> bool:
    try:
        rate = D(value)
    except (ValueError, TypeError):
        return False
    return ZERO <= rate < 1


def list_rules(uow: UnitOfWork, actor: Actor) -> list[PostingRuleRow]:
    actor.require(VIEW_ACCOUNTS)
    return list(
        uow.session.scalars(
            select(PostingRuleRow)
            .options(selectinload(PostingRuleRow.lines))
            .order_by(PostingRuleRow.event_type, PostingRuleRow.basis)
        ).all()
    )


def save_rule(
    uow: UnitOfWork,
    actor: Actor,
    *,
    event_type: str,
    basis: str,
    lines: Sequence[RuleLine],
    description_en: str = "",
    description_zh: str = "",
) -> PostingRuleRow:
    """Create or replace the rule of an event type and basis; expressions and accounts are checked first."""
    actor.require(MANAGE_RULES)
    accounts = load_accounts(uow)
    errors_found = []
    for number, line in enumerate(lines, start=1):
        try:
            parse(line.expression)
        except ExpressionError as exc:
            errors_found.append((f"lines.{number}.expression", str(exc)))
        if line.account_code not in accounts:
            errors_found.append((f"lines.{number}.account_code", f"no account {line.account_code}"))
        if line.activity and line.activity not in ACTIVITIES:
            errors_found.append((f"lines.{number}.activity", f"activity must be one of {', '.join(ACTIVITIES)}"))
    if errors_found:
        from autofin.kernel.errors import FieldError

        raise ValidationFailed(
            "ledger.rule.invalid",
            Text("The posting rule is not valid; see the fields.", "记账规则无效，请查看各字段。"),
            [FieldError(name, Text(message, message)) for name, message in errors_found],
        )
    row = uow.session.scalar(
        select(PostingRuleRow).where(PostingRuleRow.event_type == event_type, PostingRuleRow.basis == basis)
    )
    before = None
    if row is None:
        row = PostingRuleRow(event_type=event_type, basis=Basis(basis).value, active=True)
        uow.session.add(row)
    else:
        before = {"lines": [[ln.account_code, ln.side, ln.expression] for ln in row.lines]}
        row.lines.clear()
        uow.flush()
    row.description_en = description_en
    row.description_zh = description_zh
    row.lines.extend(
        PostingRuleLineRow(
            line_no=n,
            account_code=ln.account_code,
            side=Side(ln.side).value,
            expression=ln.expression,
            memo=ln.memo,
            activity=ln.activity,
        )
        for n, ln in enumerate(lines, start=1)
    )
    uow.flush()
    _forget_cache(uow)
    audit.record(
        uow,
        actor,
        "ledger.rule.save",
        "ledger_rule",
        row.id,
        before=before,
        after={
            "event_type": event_type,
            "basis": basis,
            "lines": [[ln.account_code, str(ln.side), ln.expression] for ln in lines],
        },
    )
    return row


# ------------------------------------------------------------------------------------------------- periods
def list_periods(uow: UnitOfWork, actor: Actor) -> list[LedgerPeriod]:
    actor.require(VIEW_ENTRIES)
    return list(uow.session.scalars(select(LedgerPeriod).order_by(LedgerPeriod.period.desc())).all())


def period_checklist(uow: UnitOfWork, actor: Actor, period: str) -> Checklist:
    """结账检查: the items that must pass before ``period`` can be closed."""
    actor.require(CLOSE_PERIODS)
    return _checklist(uow, period)


def _checklist(uow: UnitOfWork, period: str) -> Checklist:
    from autofin.ledger import statements

    _start, end = parse_period(period)
    items: list[tuple[str, bool, tuple[str, ...]]] = []

    earlier_open = uow.session.scalars(
        select(LedgerPeriod.period).where(
            LedgerPeriod.period < period, LedgerPeriod.status == "open", LedgerPeriod.last_sequence > 0
        )
    ).all()
    items.append(
        (
            "earlier_periods_closed",
            not earlier_open,
            tuple(f"period {p} with entries is still open" for p in earlier_open),
        )
    )

    stats = uow.session.execute(
        select(
            func.count(JournalEntry.id),
            func.count(func.distinct(JournalEntry.sequence)),
            func.min(JournalEntry.sequence),
            func.max(JournalEntry.sequence),
        ).where(JournalEntry.period == period)
    ).one()
    numbering = checks.voucher_range_errors(period, stats[0], stats[1], stats[2], stats[3])
    items.append(("vouchers_posted_and_numbered", not numbering, tuple(numbering)))

    pending = (
        uow.session.scalar(
            select(func.count(ManualVoucher.id)).where(ManualVoucher.period == period, ManualVoucher.status == "draft")
        )
        or 0
    )
    items.append(
        (
            "no_pending_maker_checker_items",
            pending == 0,
            (f"{pending} manual voucher(s) wait for approval or rejection",) if pending else (),
        )
    )

    trial = statements.build_trial_balance(uow, period)
    problems = checks.trial_balance_errors(trial)
    items.append(("trial_balance_balanced", not problems, tuple(problems)))

    registered = checks.subledger_checks()
    if not registered:
        items.append(("subledger_reconciled", True, ("no subledger checks registered yet",)))
    for name, check in sorted(registered.items()):
        found = check(uow, end)
        items.append((f"subledger_reconciled:{name}", not found, tuple(found)))
    return Checklist(period, tuple(items))


def close_period(uow: UnitOfWork, actor: Actor, period: str) -> Checklist:
    """期末结账: run the checklist and lock the period; closing December first carries the year's profit."""
    actor.require(CLOSE_PERIODS)
    _start, end = parse_period(period)
    row = _lock_periods(uow, [period])[period]
    if row.status == "closed":
        raise errors.period_already_closed(period)
    if end.month == 12:
        _carry_year_end(uow, actor, end)
    checklist = _checklist(uow, period)
    if not checklist.passed:
        raise errors.checklist_failed(period, checklist.failures())
    table = PERIOD_TABLE
    uow.session.execute(
        update(table).where(table.c.id == row.id).values(status="closed", closed_at=utcnow(), closed_by=actor.username)
    )
    audit.record(
        uow,
        actor,
        "ledger.period.close",
        "ledger_period",
        period,
        before={"status": "open"},
        after={"status": "closed", "checklist": [[n, ok] for n, ok, _e in checklist.items]},
    )
    return checklist


def reopen_period(uow: UnitOfWork, actor: Actor, period: str, reason: str) -> LedgerPeriod:
    """反结账: only with the permission and a reason, which the audit log keeps."""
    actor.require(REOPEN_PERIODS)
    parse_period(period)
    if not reason or len(reason.strip()) < 5:
        raise errors.reason_required()
    row = uow.session.scalar(select(LedgerPeriod).where(LedgerPeriod.period == period).with_for_update())
    if row is None or row.status != "closed":
        raise errors.period_not_closed(period)
    row.status = "open"
    row.closed_at = None
    row.closed_by = None
    uow.flush()
    audit.record(
        uow,
        actor,
        "ledger.period.reopen",
        "ledger_period",
        period,
        before={"status": "closed"},
        after={"status": "open", "reason": reason.strip()},
    )
    return row


def _carry_year_end(uow: UnitOfWork, actor: Actor, year_end: date) -> None:
    """Carry income and expense balances into 4103 本年利润, then 4103 into 4104 利润分配 (dated 31 December)."""
    from autofin.ledger import statements

    context = _context(uow)
    balances = statements.balances_until(uow, year_end)
    by_id = {info.id: info for info in context.accounts.values()}
    lines: list[PostingLine] = []
    profit = ZERO
    for account_id, net_debit in sorted(balances.items()):
        info = by_id[account_id]
        if info.type not in ("income", "expense") or net_debit == ZERO:
            continue
        if net_debit > ZERO:
            lines.append(PostingLine(info.code, ZERO, net_debit, "结转损益 carry to current-year profit"))
        else:
            lines.append(PostingLine(info.code, -net_debit, ZERO, "结转损益 carry to current-year profit"))
        profit -= net_debit
    drafts: list[_Draft] = []
    year = str(year_end.year)
    runs = (
        uow.session.scalar(
            select(func.count(JournalEntry.id)).where(
                JournalEntry.event_type == CARRY_PROFIT_EVENT, JournalEntry.source_id.like(f"{year}%")
            )
        )
        or 0
    )
    source = f"{year}#{runs + 1}"
    if profit != ZERO:
        lines.append(
            PostingLine(CURRENT_YEAR_PROFIT, ZERO, profit, "本年利润")
            if profit > ZERO
            else PostingLine(CURRENT_YEAR_PROFIT, -profit, ZERO, "本年利润")
        )
        drafts.append(
            _Draft(
                year_end,
                CARRY_PROFIT_EVENT,
                "ledger_year",
                source,
                _fingerprint({"y": source}),
                f"{year} 年末结转损益至本年利润",
                {},
                [],
                lines,
            )
        )
    profit_balance = -balances.get(context.accounts[CURRENT_YEAR_PROFIT].id, ZERO) + profit
    if profit_balance != ZERO:
        amount = abs(profit_balance)
        carry = (
            [
                PostingLine(CURRENT_YEAR_PROFIT, amount, ZERO, "本年利润转入利润分配"),
                PostingLine(RETAINED_EARNINGS, ZERO, amount, "未分配利润"),
            ]
            if profit_balance > ZERO
            else [
                PostingLine(RETAINED_EARNINGS, amount, ZERO, "未分配利润"),
                PostingLine(CURRENT_YEAR_PROFIT, ZERO, amount, "本年亏损转入利润分配"),
            ]
        )
        drafts.append(
            _Draft(
                year_end,
                CARRY_RETAINED_EVENT,
                "ledger_year",
                source,
                _fingerprint({"r": source}),
                f"{year} 年末本年利润转入利润分配",
                {},
                [],
                carry,
            )
        )
    for draft in drafts:
        _check_balanced(draft.lines, context.account_types)
    written = _write_entries(uow, actor, drafts, context)
    if written:
        audit.record(
            uow,
            actor,
            "ledger.period.year_end_carry",
            "ledger_entry",
            written[0].id,
            after={"year": year, "vouchers": [e.voucher_no for e in written], "profit": str(profit)},
        )


def account_balance(uow: UnitOfWork, code: str, as_of: date) -> Decimal:
    """The balance of an account and its sub-accounts at the end of ``as_of``, on its normal side (from the daily
    balances, so it costs two small queries whatever the number of journal lines)."""
    from autofin.ledger import statements

    opening, movements = statements.daily_net_movements(uow, code, as_of, as_of)
    return opening + sum(movements.values(), ZERO)

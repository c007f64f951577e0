"""Config center (配置中心): typed, scoped, effective-dated system parameters with full history.

Resolution of ``get_parameter(uow, key, on=…, region=…, product=…, channel=…)``:

1. Only scopes the caller named are candidates, most specific first: channel > product > region > global.
2. Within one scope (and scope value), the rows of one ``effective_from`` are versions of one dated entry: the
   highest version is the current definition (corrections and end dates are new versions, nothing is
   overwritten).
3. Of the current definitions in effect on ``on`` (``effective_from <= on <= effective_to``, open end allowed),
   the one with the latest ``effective_from`` wins.

Reads go through :mod:`autofin.platform.cache`; every change bumps the configuration revision.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from autofin.audit import service as audit
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import FieldError, Text, ValidationFailed
from autofin.platform import errors
from autofin.platform.cache import bump_revision, cached
from autofin.platform.models import ParameterVersion, Scope, ValueType
from autofin.platform.permissions import MANAGE_PARAMETERS, VIEW_PARAMETERS
from autofin.platform.schemas import ParameterChange, ParameterCreate

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_.]{2,99}$")
SCOPE_VALUE_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
SCOPE_ORDER = (Scope.CHANNEL, Scope.PRODUCT, Scope.REGION, Scope.GLOBAL)
MAX_STRING_LENGTH = 10_000
_MISSING: Any = object()


def business_today() -> date:
    """Today's date in China, the default ``on`` date of a lookup."""
    return utcnow().astimezone(BUSINESS_TZ).date()


# ---- typed values --------------------------------------------------------------------------------------------


def _type_error(field: str, value_type: str, en_hint: str, zh_hint: str) -> ValidationFailed:
    text = Text(
        f"The value is not a valid {value_type}: {en_hint}.",
        f"该值不是有效的{_TYPE_ZH.get(value_type, value_type)}：{zh_hint}。",
    )
    return ValidationFailed("platform.parameter.invalid_value", text, [FieldError(field, text)])


_TYPE_ZH = {
    "string": "字符串", "integer": "整数", "decimal": "小数", "boolean": "布尔值", "json": "JSON", "date": "日期",
}


def canonical_value(value_type: str, raw: Any, field: str = "value") -> str:
    """The stored text of ``raw`` as ``value_type``; refuses anything that does not parse as that type."""
    if value_type == ValueType.STRING:
        if not isinstance(raw, str):
            raise _type_error(field, value_type, "send text", "请填写文本")
        if len(raw) > MAX_STRING_LENGTH:
            raise _type_error(field, value_type, f"at most {MAX_STRING_LENGTH} characters", "文本过长")
        return raw
    if value_type == ValueType.INTEGER:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise _type_error(field, value_type, "a whole number such as 3", "请填写整数，如 3")
        text = str(raw).strip()
        if not re.fullmatch(r"-?\d{1,18}", text):
            raise _type_error(field, value_type, "a whole number such as 3", "请填写整数，如 3")
        return str(int(text))
    if value_type == ValueType.DECIMAL:
        if isinstance(raw, bool) or not isinstance(raw, int | str | Decimal):
            raise _type_error(
                field, value_type, 'a decimal written as a string such as "0.06" (no floats)',
                "请以字符串形式填写小数，如 \"0.06\"",
            )
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise _type_error(field, value_type, 'a decimal such as "0.06"', "请填写小数，如 0.06") from None
        if not number.is_finite() or abs(number.as_tuple().exponent) > 12 or len(number.as_tuple().digits) > 30:  # type: ignore[arg-type]
            raise _type_error(
                field, value_type, "a finite number with at most 12 decimal places", "最多 12 位小数的有限数"
            )
        return format(number, "f")
    if value_type == ValueType.BOOLEAN:
        if isinstance(raw, bool):
            return "true" if raw else "false"
        if isinstance(raw, str) and raw.strip().lower() in {"true", "false", "1", "0", "yes", "no"}:
            return "true" if raw.strip().lower() in {"true", "1", "yes"} else "false"
        raise _type_error(field, value_type, "true or false", "请填写 true 或 false")
    if value_type == ValueType.JSON:
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise _type_error(field, value_type, "well-formed JSON", "请填写格式正确的 JSON") from None
        try:
            return json.dumps(raw, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):
            raise _type_error(field, value_type, "well-formed JSON", "请填写格式正确的 JSON") from None
    if value_type == ValueType.DATE:
        if isinstance(raw, date):
            return raw.isoformat()
        if isinstance(raw, str):
            try:
                return date.fromisoformat(raw.strip()).isoformat()
            except ValueError:
                pass
        raise _type_error(field, value_type, "a date such as 2026-01-01", "请填写日期，如 2026-01-01")
    raise _bad_value_type(value_type)


def typed_value(value_type: str, stored: str) -> Any:
    """The Python value of a stored text: str, int, Decimal, bool, JSON data or date."""
    if value_type == ValueType.INTEGER:
        return int(stored)
    if value_type == ValueType.DECIMAL:
        return Decimal(stored)
    if value_type == ValueType.BOOLEAN:
        return stored == "true"
    if value_type == ValueType.JSON:
        return json.loads(stored)
    if value_type == ValueType.DATE:
        return date.fromisoformat(stored)
    return stored


def _bad_value_type(value_type: str) -> ValidationFailed:
    allowed = ", ".join(t.value for t in ValueType)
    text = Text(
        f"Unknown value type '{value_type}'; use one of {allowed}.", f"未知的值类型“{value_type}”，可选：{allowed}。"
    )
    return ValidationFailed("platform.parameter.invalid_type", text, [FieldError("value_type", text)])


# ---- resolution ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterEntry:
    """One stored version as the cache holds it (immutable)."""

    key: str
    version: int
    value_type: str
    scope: str
    scope_value: str
    value: Any
    effective_from: date
    effective_to: date | None


@dataclass(frozen=True)
class Resolved:
    key: str
    value: Any
    value_type: str
    scope: str
    scope_value: str
    version: int
    effective_from: date
    effective_to: date | None


def _load_entries(key: str) -> Any:
    def load(session: Session) -> tuple[ParameterEntry, ...]:
        rows = session.execute(select(ParameterVersion).where(ParameterVersion.key == key)).scalars().all()
        return tuple(
            ParameterEntry(
                r.key, r.version, r.value_type, r.scope, r.scope_value, typed_value(r.value_type, r.value),
                r.effective_from, r.effective_to,
            )
            for r in rows
        )

    return load


def current_definitions(entries: Any) -> list[Any]:
    """Per (scope, scope value, effective_from) only the highest version: the rest is history."""
    best: dict[tuple[str, str, date], Any] = {}
    for entry in entries:
        slot = (entry.scope, entry.scope_value, entry.effective_from)
        if slot not in best or entry.version > best[slot].version:
            best[slot] = entry
    return list(best.values())


def resolve(entries: tuple[ParameterEntry, ...], on: date, wanted: list[tuple[str, str]]) -> ParameterEntry | None:
    definitions: list[ParameterEntry] = current_definitions(entries)
    for scope, scope_value in wanted:
        in_effect = [
            e for e in definitions
            if e.scope == scope and e.scope_value == scope_value and e.effective_from <= on
            and (e.effective_to is None or on <= e.effective_to)
        ]
        if in_effect:
            return max(in_effect, key=lambda e: (e.effective_from, e.version))
    return None


def resolve_parameter(
    uow: UnitOfWork,
    key: str,
    *,
    on: date | None = None,
    region: str | None = None,
    product: str | None = None,
    channel: str | None = None,
) -> Resolved | None:
    """The entry in effect for ``key`` on ``on`` (default: today in China) for the most specific scope given."""
    entries: tuple[ParameterEntry, ...] = cached(uow, "parameter", key, _load_entries(key))
    wanted: list[tuple[str, str]] = []
    for scope, value in ((Scope.CHANNEL, channel), (Scope.PRODUCT, product), (Scope.REGION, region)):
        if value:
            wanted.append((scope.value, value))
    wanted.append((Scope.GLOBAL.value, ""))
    found = resolve(entries, on or business_today(), wanted)
    if found is None:
        return None
    value = copy.deepcopy(found.value) if found.value_type == ValueType.JSON else found.value
    return Resolved(
        found.key, value, found.value_type, found.scope, found.scope_value, found.version,
        found.effective_from, found.effective_to,
    )


def get_parameter(
    uow: UnitOfWork,
    key: str,
    *,
    on: date | None = None,
    region: str | None = None,
    product: str | None = None,
    channel: str | None = None,
    default: Any = _MISSING,
) -> Any:
    """The typed value of ``key`` in effect on ``on`` (channel > product > region > global); Decimal for
    decimals. Raises NotFound (404) when nothing is in effect and no ``default`` was given."""
    found = resolve_parameter(uow, key, on=on, region=region, product=product, channel=channel)
    if found is None:
        if default is _MISSING:
            raise errors.parameter_not_found(key)
        return default
    return found.value


# ---- use cases -----------------------------------------------------------------------------------------------


def _validate_common(
    scope: str, scope_value: str, effective_from: date, effective_to: date | None
) -> tuple[str, str]:
    problems: list[FieldError] = []
    if scope not in {s.value for s in Scope}:
        problems.append(FieldError("scope", Text(
            "The scope must be one of global, region, product, channel.",
            "范围必须是 global、region、product、channel 之一。",
        )))
    elif scope == Scope.GLOBAL:
        if scope_value:
            problems.append(FieldError("scope_value", Text(
                "A global value has no scope value; leave it empty.", "全局参数不需要范围值，请留空。"
            )))
    elif not SCOPE_VALUE_PATTERN.match(scope_value or ""):
        problems.append(FieldError("scope_value", Text(
            f"A {scope} value needs the {scope} code (letters, digits, _ . : -, up to 64 characters).",
            "请填写范围值（字母、数字或 _ . : -，最多 64 个字符）。",
        )))
    if effective_to is not None and effective_to < effective_from:
        problems.append(FieldError("effective_to", Text(
            "The end date must be on or after the start date.", "失效日期不能早于生效日期。"
        )))
    if problems:
        raise ValidationFailed(
            "platform.parameter.invalid",
            Text("Some fields are not valid; see each field.", "部分字段无效，请查看各字段提示。"),
            problems,
        )
    return scope, scope_value or ""


def _latest_version(session: Session, key: str) -> ParameterVersion | None:
    return session.execute(
        select(ParameterVersion).where(ParameterVersion.key == key).order_by(ParameterVersion.version.desc()).limit(1)
    ).scalar_one_or_none()


def _snapshot(row: ParameterVersion) -> dict[str, Any]:
    return {
        "key": row.key, "version": row.version, "value_type": row.value_type, "scope": row.scope,
        "scope_value": row.scope_value, "value": row.value, "effective_from": row.effective_from,
        "effective_to": row.effective_to,
    }


def _add_version(
    uow: UnitOfWork, actor: Actor, *, key: str, version: int, value_type: str, value: str, scope: str,
    scope_value: str, effective_from: date, effective_to: date | None, description_zh: str, description_en: str,
    note: str,
) -> ParameterVersion:
    row = ParameterVersion(
        key=key, version=version, value_type=value_type, value=value, scope=scope, scope_value=scope_value,
        effective_from=effective_from, effective_to=effective_to, description_zh=description_zh,
        description_en=description_en, note=note, changed_by_id=actor.user_id, changed_by_name=actor.username,
        changed_at=utcnow(),
    )
    uow.session.add(row)
    uow.flush()
    bump_revision(uow)
    return row


def create_parameter(uow: UnitOfWork, actor: Actor, cmd: ParameterCreate) -> ParameterVersion:
    """A new parameter key and its first value (version 1)."""
    actor.require(MANAGE_PARAMETERS)
    if not KEY_PATTERN.match(cmd.key):
        raise ValidationFailed("platform.parameter.invalid_key", _KEY_TEXT, [FieldError("key", _KEY_TEXT)])
    if cmd.value_type not in {t.value for t in ValueType}:
        raise _bad_value_type(cmd.value_type)
    effective_from = cmd.effective_from or business_today()
    scope, scope_value = _validate_common(cmd.scope, cmd.scope_value, effective_from, cmd.effective_to)
    value = canonical_value(cmd.value_type, cmd.value)
    if _latest_version(uow.session, cmd.key) is not None:
        raise errors.parameter_key_taken(cmd.key)
    row = _add_version(
        uow, actor, key=cmd.key, version=1, value_type=cmd.value_type, value=value, scope=scope,
        scope_value=scope_value, effective_from=effective_from, effective_to=cmd.effective_to,
        description_zh=cmd.description_zh, description_en=cmd.description_en, note=cmd.note,
    )
    audit.record(uow, actor, "platform.parameter.create", "parameter", row.key, after=_snapshot(row))
    return row


_KEY_TEXT = Text(
    "A key starts with a lower-case letter, then 2–99 of a–z, 0–9, '_' or '.', e.g. risk.max_dti.",
    "参数键以小写字母开头，后接 2–99 个小写字母、数字、下划线或点，如 risk.max_dti。",
)


def change_parameter(uow: UnitOfWork, actor: Actor, key: str, cmd: ParameterChange) -> ParameterVersion:
    """A new version of ``key``: new value, a scope override, new dates. The old versions stay as history."""
    actor.require(MANAGE_PARAMETERS)
    latest = _latest_version(uow.session, key)
    if latest is None:
        raise errors.parameter_not_found(key)
    if cmd.expected_version is not None and cmd.expected_version != latest.version:
        raise errors.parameter_stale(key, latest.version, cmd.expected_version)
    effective_from = cmd.effective_from or business_today()
    scope, scope_value = _validate_common(cmd.scope, cmd.scope_value, effective_from, cmd.effective_to)
    value = canonical_value(latest.value_type, cmd.value)
    previous = _latest_in_series(uow.session, key, scope, scope_value) or latest
    row = _add_version(
        uow, actor, key=key, version=latest.version + 1, value_type=latest.value_type, value=value, scope=scope,
        scope_value=scope_value, effective_from=effective_from, effective_to=cmd.effective_to,
        description_zh=latest.description_zh if cmd.description_zh is None else cmd.description_zh,
        description_en=latest.description_en if cmd.description_en is None else cmd.description_en,
        note=cmd.note,
    )
    audit.record(uow, actor, "platform.parameter.change", "parameter", key, before=_snapshot(previous),
                 after=_snapshot(row))
    return row


def _latest_in_series(session: Session, key: str, scope: str, scope_value: str) -> ParameterVersion | None:
    return session.execute(
        select(ParameterVersion)
        .where(ParameterVersion.key == key, ParameterVersion.scope == scope,
               ParameterVersion.scope_value == scope_value)
        .order_by(ParameterVersion.version.desc()).limit(1)
    ).scalar_one_or_none()


def list_parameters(
    uow: UnitOfWork, actor: Actor, *, q: str | None = None, scope: str | None = None, page: int = 1, size: int = 50
) -> tuple[list[ParameterVersion], int]:
    """The current definitions (history hidden), by key, scope, scope value and newest start date first."""
    actor.require(VIEW_PARAMETERS)
    statement = select(ParameterVersion)
    if q:
        pattern = f"%{q.lower()}%"
        statement = statement.where(or_(
            ParameterVersion.key.like(pattern), func.lower(ParameterVersion.description_en).like(pattern),
            ParameterVersion.description_zh.like(f"%{q}%"),
        ))
    if scope:
        statement = statement.where(ParameterVersion.scope == scope)
    rows = uow.session.execute(statement).scalars().all()
    definitions: list[ParameterVersion] = current_definitions(rows)
    scope_rank = {s.value: i for i, s in enumerate(reversed(SCOPE_ORDER))}
    definitions.sort(key=lambda r: (r.key, scope_rank.get(r.scope, 9), r.scope_value, -r.effective_from.toordinal()))
    start = (page - 1) * size
    return definitions[start:start + size], len(definitions)


def parameter_history(uow: UnitOfWork, actor: Actor, key: str) -> list[ParameterVersion]:
    """Every version of ``key``, newest first: who changed what, when, and why."""
    actor.require(VIEW_PARAMETERS)
    rows = uow.session.execute(
        select(ParameterVersion).where(ParameterVersion.key == key).order_by(ParameterVersion.version.desc())
    ).scalars().all()
    if not rows:
        raise errors.parameter_not_found(key)
    return list(rows)


def lookup_parameter(
    uow: UnitOfWork, actor: Actor, key: str, *, on: date | None = None, region: str | None = None,
    product: str | None = None, channel: str | None = None,
) -> Resolved:
    """``get_parameter`` for a person (checks the view permission) with where the value came from."""
    actor.require(VIEW_PARAMETERS)
    found = resolve_parameter(uow, key, on=on, region=region, product=product, channel=channel)
    if found is None:
        raise errors.parameter_not_found(key)
    return found


def ensure_parameter(
    uow: UnitOfWork, actor: Actor, key: str, value_type: str, value: Any, *, description_zh: str,
    description_en: str, effective_from: date, scope: str = "global", scope_value: str = "",
) -> bool:
    """Seed helper: add the parameter once (never touches a key that already has a value for that scope and
    start date, so an administrator's changes stay). True when added. Not audited: built-in data."""
    session = uow.session
    exists = session.execute(
        select(ParameterVersion.id).where(
            ParameterVersion.key == key, ParameterVersion.scope == scope, ParameterVersion.scope_value == scope_value,
            ParameterVersion.effective_from == effective_from,
        ).limit(1)
    ).first()
    if exists is not None:
        return False
    latest = _latest_version(session, key)
    _add_version(
        uow, actor, key=key, version=1 if latest is None else latest.version + 1, value_type=value_type,
        value=canonical_value(value_type, value), scope=scope, scope_value=scope_value,
        effective_from=effective_from, effective_to=None, description_zh=description_zh,
        description_en=description_en, note="seed",
    )
    return True  # built-in records are not audited (like every domain's seed): the rows name "system" and "seed"

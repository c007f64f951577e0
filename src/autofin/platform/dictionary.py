"""Data dictionary (数据字典): coded values (车型, 证件类型, 还款方式 …) with labels in both languages.

Business records store the item *code*; screens show the label. Lookups (:func:`dictionary_items`,
:func:`label`) are cached like parameters and see changes from other processes without restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from autofin.audit import service as audit
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.errors import FieldError, Text, ValidationFailed
from autofin.platform import errors
from autofin.platform.cache import bump_revision, cached
from autofin.platform.models import DictionaryItem, DictionaryType
from autofin.platform.permissions import MANAGE_DICTIONARY, VIEW_DICTIONARY
from autofin.platform.schemas import (
    DictionaryItemCreate,
    DictionaryItemUpdate,
    DictionaryTypeCreate,
    DictionaryTypeUpdate,
)

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
TYPE_CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


@dataclass(frozen=True)
class DictionaryEntry:
    """An item as lookups return it (immutable, cached)."""

    code: str
    label_zh: str
    label_en: str
    sort: int
    active: bool
    parent_code: str | None

    def label(self, language: str) -> str:
        return self.label_zh if language.lower().startswith("zh") else self.label_en


# ---- lookups (no permission: every domain may translate codes) ---------------------------------------------


def _load_items(type_code: str) -> Any:
    def load(session: Session) -> tuple[DictionaryEntry, ...]:
        dictionary_type = session.execute(
            select(DictionaryType).where(DictionaryType.code == type_code)
        ).scalar_one_or_none()
        if dictionary_type is None:
            return ()
        items = session.execute(
            select(DictionaryItem).where(DictionaryItem.type_id == dictionary_type.id)
            .order_by(DictionaryItem.sort, DictionaryItem.code)
        ).scalars().all()
        codes = {item.id: item.code for item in items}
        return tuple(
            DictionaryEntry(i.code, i.label_zh, i.label_en, i.sort, i.active,
                            codes.get(i.parent_id) if i.parent_id else None)
            for i in items
        )

    return load


def dictionary_items(uow: UnitOfWork, type_code: str, *, include_inactive: bool = False) -> list[DictionaryEntry]:
    """The items of a dictionary type in display order (active ones only unless asked)."""
    entries: tuple[DictionaryEntry, ...] = cached(uow, "dictionary", type_code, _load_items(type_code))
    return [e for e in entries if include_inactive or e.active]


def label(uow: UnitOfWork, type_code: str, item_code: str, language: str = "zh-CN") -> str:
    """The label of ``item_code`` in ``language``; the code itself when the item is unknown (never fails a
    screen because a code was retired)."""
    for entry in dictionary_items(uow, type_code, include_inactive=True):
        if entry.code == item_code:
            return entry.label(language)
    return item_code


def is_valid_code(uow: UnitOfWork, type_code: str, item_code: str) -> bool:
    """True when ``item_code`` is an active item of ``type_code`` (for other domains' validation)."""
    return any(e.code == item_code for e in dictionary_items(uow, type_code))


# ---- use cases -----------------------------------------------------------------------------------------------


def _type_by_code(session: Session, code: str) -> DictionaryType:
    found = session.execute(select(DictionaryType).where(DictionaryType.code == code)).scalar_one_or_none()
    if found is None:
        raise errors.dictionary_type_not_found(code)
    return found


def _type_snapshot(t: DictionaryType) -> dict[str, Any]:
    return {"code": t.code, "name_zh": t.name_zh, "name_en": t.name_en, "description": t.description}


def _item_snapshot(i: DictionaryItem) -> dict[str, Any]:
    return {"code": i.code, "label_zh": i.label_zh, "label_en": i.label_en, "sort": i.sort, "active": i.active,
            "parent_id": i.parent_id}


def list_dictionary_types(
    uow: UnitOfWork, actor: Actor, *, q: str | None = None, page: int = 1, size: int = 50
) -> tuple[list[DictionaryType], int]:
    actor.require(VIEW_DICTIONARY)
    statement = select(DictionaryType)
    if q:
        statement = statement.where(or_(
            DictionaryType.code.like(f"%{q.lower()}%"), DictionaryType.name_zh.like(f"%{q}%"),
            func.lower(DictionaryType.name_en).like(f"%{q.lower()}%"),
        ))
    return fetch_page(uow.session, statement, (DictionaryType.code,), page, size)


def get_dictionary_type(uow: UnitOfWork, actor: Actor, code: str) -> DictionaryType:
    actor.require(VIEW_DICTIONARY)
    return _type_by_code(uow.session, code)


def create_dictionary_type(uow: UnitOfWork, actor: Actor, cmd: DictionaryTypeCreate) -> DictionaryType:
    actor.require(MANAGE_DICTIONARY)
    if not TYPE_CODE_PATTERN.match(cmd.code):
        text = Text("A type code is lower-case letters, digits and '_', starting with a letter, e.g. id_type.",
                    "类型编码由小写字母、数字和下划线组成，以字母开头，如 id_type。")
        raise ValidationFailed("platform.dictionary.invalid_code", text, [FieldError("code", text)])
    if uow.session.execute(select(DictionaryType.id).where(DictionaryType.code == cmd.code)).first():
        raise errors.dictionary_code_taken("dictionary type", "字典类型", cmd.code)
    row = DictionaryType(code=cmd.code, name_zh=cmd.name_zh, name_en=cmd.name_en, description=cmd.description)
    uow.session.add(row)
    uow.flush()
    bump_revision(uow)
    audit.record(uow, actor, "platform.dictionary_type.create", "dictionary_type", row.id, after=_type_snapshot(row))
    return row


def update_dictionary_type(uow: UnitOfWork, actor: Actor, code: str, cmd: DictionaryTypeUpdate) -> DictionaryType:
    actor.require(MANAGE_DICTIONARY)
    row = _type_by_code(uow.session, code)
    ensure_version(row, cmd.version, "dictionary type")
    before = _type_snapshot(row)
    for name in ("name_zh", "name_en", "description"):
        value = getattr(cmd, name)
        if value is not None:
            setattr(row, name, value)
    uow.flush()
    bump_revision(uow)
    audit.record(uow, actor, "platform.dictionary_type.update", "dictionary_type", row.id, before=before,
                 after=_type_snapshot(row))
    return row


def list_dictionary_items(
    uow: UnitOfWork, actor: Actor, type_code: str, *, include_inactive: bool = True, q: str | None = None,
    page: int = 1, size: int = 200,
) -> tuple[list[DictionaryItem], int]:
    actor.require(VIEW_DICTIONARY)
    dictionary_type = _type_by_code(uow.session, type_code)
    statement = select(DictionaryItem).where(DictionaryItem.type_id == dictionary_type.id)
    if not include_inactive:
        statement = statement.where(DictionaryItem.active.is_(True))
    if q:
        statement = statement.where(or_(
            DictionaryItem.code.like(f"%{q}%"), DictionaryItem.label_zh.like(f"%{q}%"),
            func.lower(DictionaryItem.label_en).like(f"%{q.lower()}%"),
        ))
    return fetch_page(uow.session, statement, (DictionaryItem.sort, DictionaryItem.code), page, size)


def _item(session: Session, item_id: int) -> DictionaryItem:
    item = session.get(DictionaryItem, item_id)
    if item is None:
        raise errors.dictionary_item_not_found(item_id)
    return item


def _parent_id(session: Session, type_id: int, parent_code: str | None, own_id: int | None = None) -> int | None:
    if not parent_code:
        return None
    parent = session.execute(
        select(DictionaryItem).where(DictionaryItem.type_id == type_id, DictionaryItem.code == parent_code)
    ).scalar_one_or_none()
    if parent is None:
        text = Text(f"There is no item '{parent_code}' in this type to be the parent.",
                    f"该类型下不存在作为上级的字典项“{parent_code}”。")
        raise ValidationFailed("platform.dictionary.parent_not_found", text, [FieldError("parent_code", text)])
    # refuse cycles: walk up from the new parent
    cursor: DictionaryItem | None = parent
    while cursor is not None:
        if own_id is not None and cursor.id == own_id:
            text = Text("An item cannot be placed below itself or its own children.",
                        "字典项不能挂在自身或其下级之下。")
            raise ValidationFailed("platform.dictionary.parent_cycle", text, [FieldError("parent_code", text)])
        cursor = session.get(DictionaryItem, cursor.parent_id) if cursor.parent_id else None
    return parent.id


def create_dictionary_item(uow: UnitOfWork, actor: Actor, type_code: str, cmd: DictionaryItemCreate) -> DictionaryItem:
    actor.require(MANAGE_DICTIONARY)
    dictionary_type = _type_by_code(uow.session, type_code)
    if not CODE_PATTERN.match(cmd.code):
        text = Text("An item code is letters, digits, '_', '.' or '-' (up to 64), e.g. resident_id.",
                    "字典项编码由字母、数字、下划线、点或连字符组成（最多 64 个），如 resident_id。")
        raise ValidationFailed("platform.dictionary.invalid_code", text, [FieldError("code", text)])
    taken = uow.session.execute(
        select(DictionaryItem.id).where(DictionaryItem.type_id == dictionary_type.id, DictionaryItem.code == cmd.code)
    ).first()
    if taken:
        raise errors.dictionary_code_taken("dictionary item", "字典项", cmd.code)
    row = DictionaryItem(
        type_id=dictionary_type.id, code=cmd.code, label_zh=cmd.label_zh, label_en=cmd.label_en, sort=cmd.sort,
        active=cmd.active, parent_id=_parent_id(uow.session, dictionary_type.id, cmd.parent_code),
    )
    uow.session.add(row)
    uow.flush()
    bump_revision(uow)
    audit.record(uow, actor, "platform.dictionary_item.create", "dictionary_item", row.id,
                 after={"type": type_code, **_item_snapshot(row)})
    return row


def update_dictionary_item(uow: UnitOfWork, actor: Actor, item_id: int, cmd: DictionaryItemUpdate) -> DictionaryItem:
    """Change labels, order, active flag or parent; ``version`` is the one the editor saw (409 when stale)."""
    actor.require(MANAGE_DICTIONARY)
    row = _item(uow.session, item_id)
    ensure_version(row, cmd.version, "dictionary item")
    before = _item_snapshot(row)
    for name in ("label_zh", "label_en", "sort", "active"):
        value = getattr(cmd, name)
        if value is not None:
            setattr(row, name, value)
    if cmd.parent_code is not None:
        row.parent_id = _parent_id(uow.session, row.type_id, cmd.parent_code, own_id=row.id)
    uow.flush()
    bump_revision(uow)
    audit.record(uow, actor, "platform.dictionary_item.update", "dictionary_item", row.id, before=before,
                 after=_item_snapshot(row))
    return row


def delete_dictionary_item(uow: UnitOfWork, actor: Actor, item_id: int, version: int) -> None:
    """Remove an item that has no children. Records keep the code; prefer deactivating items in use."""
    actor.require(MANAGE_DICTIONARY)
    row = _item(uow.session, item_id)
    ensure_version(row, version, "dictionary item")
    if uow.session.execute(select(DictionaryItem.id).where(DictionaryItem.parent_id == row.id).limit(1)).first():
        raise errors.dictionary_item_in_use(row.code)
    before = _item_snapshot(row)
    uow.session.delete(row)
    uow.flush()
    bump_revision(uow)
    audit.record(uow, actor, "platform.dictionary_item.delete", "dictionary_item", item_id, before=before)


def ensure_dictionary(
    uow: UnitOfWork, code: str, name_zh: str, name_en: str, items: list[tuple[str, str, str]],
    *, parent_of: dict[str, str] | None = None,
) -> int:
    """Seed helper: create the type and any missing items (never changes existing ones). Returns items added."""
    session = uow.session
    dictionary_type = session.execute(select(DictionaryType).where(DictionaryType.code == code)).scalar_one_or_none()
    if dictionary_type is None:
        dictionary_type = DictionaryType(code=code, name_zh=name_zh, name_en=name_en, builtin=True)
        session.add(dictionary_type)
        session.flush()
    existing: dict[str, int] = {
        code: item_id for code, item_id in session.execute(
            select(DictionaryItem.code, DictionaryItem.id).where(DictionaryItem.type_id == dictionary_type.id)
        )
    }
    added = 0
    for sort, (item_code, label_zh, label_en) in enumerate(items, start=1):
        if item_code in existing:
            continue
        parent_code = (parent_of or {}).get(item_code)
        item = DictionaryItem(
            type_id=dictionary_type.id, code=item_code, label_zh=label_zh, label_en=label_en, sort=sort * 10,
            parent_id=existing.get(parent_code) if parent_code else None,
        )
        session.add(item)
        session.flush()
        existing[item_code] = item.id
        added += 1
    if added:
        bump_revision(uow)
    return added

"""The permissions every domain declares in code, and the menu groups the console builds from them.

A domain calls :func:`declare` at import time in its ``permissions.py``; roles hold permission codes;
``Actor.require(code)`` checks them in the service layer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Permission:
    code: str  # e.g. "org.user.create"
    zh: str
    en: str
    group: str  # menu group code, e.g. "org"


@dataclass(frozen=True)
class MenuGroup:
    code: str
    zh: str
    en: str
    order: int


_PERMISSIONS: dict[str, Permission] = {}
_GROUPS: dict[str, MenuGroup] = {}


def declare_group(code: str, zh: str, en: str, order: int) -> MenuGroup:
    group = MenuGroup(code, zh, en, order)
    _GROUPS[code] = group
    return group


def declare(code: str, zh: str, en: str, group: str) -> str:
    """Register a permission and return its code, so modules can name it as a constant."""
    existing = _PERMISSIONS.get(code)
    permission = Permission(code, zh, en, group)
    if existing is not None and existing != permission:
        raise ValueError(f"permission {code} declared twice with different meanings")
    _PERMISSIONS[code] = permission
    return code


def all_permissions() -> list[Permission]:
    return sorted(_PERMISSIONS.values(), key=lambda p: (p.group, p.code))


def get_permission(code: str) -> Permission | None:
    return _PERMISSIONS.get(code)


def all_groups() -> list[MenuGroup]:
    return sorted(_GROUPS.values(), key=lambda g: g.order)

"""The list of business domains, in dependency order, and the one place that imports their parts.

Importing a domain's ``models`` registers its tables; ``permissions`` its permissions; ``subscribers`` its event
handlers; ``jobs`` its scheduled jobs. Alembic, the API, the console, the CLI and the tests all load domains here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

DOMAINS: tuple[str, ...] = (
    "audit",
    "org",
    "platform",
    "customers",
    "products",
    "vehicles",
    "documents",
    "risk",
    "channels",
    "origination",
    "servicing",
    "ledger",
)
PARTS: tuple[str, ...] = ("models", "permissions", "subscribers", "jobs")


def _import_optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def load_domains() -> list[str]:
    loaded: list[str] = []
    for domain in DOMAINS:
        for part in PARTS:
            if _import_optional(f"autofin.{domain}.{part}") is not None:
                loaded.append(f"{domain}.{part}")
    return loaded


def domain_modules(part: str) -> list[ModuleType]:
    """Each domain's module named ``part`` (``api``, ``console``, ``cli`` …), where the domain has one."""
    modules = []
    for domain in DOMAINS:
        module = _import_optional(f"autofin.{domain}.{part}")
        if module is not None:
            modules.append(module)
    return modules

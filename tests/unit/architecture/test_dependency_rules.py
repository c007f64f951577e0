"""The dependency rules of DESIGN.md, checked on the source so they cannot quietly erode."""

from __future__ import annotations

import ast
from pathlib import Path

import autofin
from autofin.domains import DOMAINS

SRC = Path(autofin.__file__).parent
FRAMEWORKS = ("sqlalchemy", "fastapi", "starlette", "nicegui", "pydantic", "pydantic_settings", "typer", "alembic")
EDGES = ("api.py", "console.py", "cli.py")  # a domain's own edges may use the shells and other domains' services


def _is_edge(path: Path) -> bool:
    """``api.py`` / ``console.py`` / ``cli.py``, or a module of a big edge split into a sub-package of that name."""
    return path.name in EDGES or f"{path.parent.name}.py" in EDGES
CROSS_DOMAIN_ALLOWED = ("service", "permissions", "events", "errors")
LOAN_DOMAINS = ("origination", "servicing", "collections", "customers", "products", "vehicles")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _modules(folder: str) -> list[Path]:
    return sorted((SRC / folder).rglob("*.py")) if (SRC / folder).exists() else []


def test_kernel_imports_nothing_of_autofin_but_itself_and_no_framework():
    for path in _modules("kernel"):
        for name in _imports(path):
            assert not name.startswith("autofin.") or name.startswith("autofin.kernel"), f"{path.name}: {name}"
            assert name.split(".")[0] not in FRAMEWORKS, f"{path.name} imports {name}"


def test_calc_imports_only_the_kernel_and_no_framework_except_its_command_line_edge():
    for path in _modules("calc"):
        if path.name == "cli.py":
            continue
        for name in _imports(path):
            assert not name.startswith("autofin.") or name.startswith(("autofin.kernel", "autofin.calc")), (
                f"calc/{path.name}: {name}"
            )
            assert name.split(".")[0] not in FRAMEWORKS, f"calc/{path.name} imports {name}"


def test_domain_cores_never_import_the_api_console_or_cli():
    for domain in DOMAINS:
        for path in _modules(domain):
            if _is_edge(path):
                continue
            for name in _imports(path):
                assert not name.startswith(("autofin.api", "autofin.console", "autofin.cli")), (
                    f"{domain}/{path.name} imports {name}"
                )


def test_a_domain_uses_another_only_through_its_service_permissions_events_or_errors():
    for domain in DOMAINS:
        for path in _modules(domain):
            for name in _imports(path):
                parts = name.split(".")
                if len(parts) < 3 or parts[0] != "autofin" or parts[1] not in DOMAINS or parts[1] == domain:
                    continue
                # pages may compose another domain's widgets (an upload box, a preview); cores never do
                is_console = "console.py" in (path.name, f"{path.parent.name}.py")
                allowed = (*CROSS_DOMAIN_ALLOWED, "console") if is_console else CROSS_DOMAIN_ALLOWED
                assert parts[2] in allowed, f"{domain}/{path.name} reaches into {name}"


def test_the_ledger_knows_nothing_of_loans():
    for path in _modules("ledger"):
        for name in _imports(path):
            assert not any(name.startswith(f"autofin.{loan}") for loan in LOAN_DOMAINS), f"ledger/{path.name}: {name}"

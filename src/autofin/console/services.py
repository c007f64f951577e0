"""The console's only door to the domains: their ``service.py`` functions, looked up by name.

Pages never touch another domain's tables. A service function that does not exist (yet) raises
:class:`ServiceMissing`, which the page shows as a clear message instead of failing to load.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from autofin.kernel.errors import DomainError, Text


class ServiceMissing(DomainError):
    status = 501
    title = Text("Not available", "暂不可用")


def service(domain: str, name: str) -> Callable[..., Any]:
    """``autofin.<domain>.service.<name>``, or a ServiceMissing error naming what is missing."""
    qualified = f"autofin.{domain}.service.{name}"
    try:
        module = importlib.import_module(f"autofin.{domain}.service")
    except ModuleNotFoundError as exc:
        if exc.name != f"autofin.{domain}.service":
            raise
        raise _missing(qualified) from exc
    function = getattr(module, name, None)
    if function is None or not callable(function):
        raise _missing(qualified)
    return function  # type: ignore[no-any-return]


def has_service(domain: str, name: str) -> bool:
    try:
        service(domain, name)
    except ServiceMissing:
        return False
    return True


def call(domain: str, function: str, /, *args: Any, **kwargs: Any) -> Any:
    """Call ``autofin.<domain>.service.<function>(*args, **kwargs)`` (keyword arguments pass through as given)."""
    return service(domain, function)(*args, **kwargs)


def _missing(qualified: str) -> ServiceMissing:
    return ServiceMissing(
        "console.service_missing",
        Text(f"The service this needs is not available yet: {qualified}", f"该功能所需的服务尚未提供：{qualified}"),
    )

"""Helpers for ledger integration tests: post events in their own transactions, read statements afterwards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM, Actor
from autofin.ledger import service, statements
from autofin.ledger.service import PostedEntry, PostingRequest

_counter = {"n": 0}


def request(event_type: str, day: date, source_id: str | None = None, **amounts: str) -> PostingRequest:
    _counter["n"] += 1
    return PostingRequest(
        event_type=event_type,
        source_type="test",
        source_id=source_id or f"{event_type}-{_counter['n']}",
        business_date=day,
        amounts={name: Decimal(value) for name, value in amounts.items()},
        dimensions={"loan_id": 1, "product": "new-car", "branch": "SH"},
    )


@pytest.fixture()
def post(app_ctx: App) -> Callable[..., PostedEntry | None]:
    """``post("loan.disbursed", date, principal="1000.00")`` books one event and commits."""

    def _post(event_type: str, day: date, source_id: str | None = None, **amounts: str) -> PostedEntry | None:
        with app_ctx.uow() as uow:
            posted = service.post_event(uow, SYSTEM, request(event_type, day, source_id, **amounts))
            uow.commit()
        return posted

    return _post


@pytest.fixture()
def balances(app_ctx: App) -> Callable[[date], dict[str, Decimal]]:
    """Net debit balance (debit − credit) per account code at the end of a day, zero balances left out."""

    def _balances(day: date) -> dict[str, Decimal]:
        with app_ctx.uow() as uow:
            by_id = {info.id: code for code, info in service.load_accounts(uow).items()}
            found = statements.balances_until(uow, day)
        return {by_id[account_id]: value for account_id, value in found.items() if value != 0}

    return _balances


def actor(user_id: int, username: str, *permissions: str) -> Actor:
    return Actor(user_id=user_id, username=username, permissions=frozenset(permissions))


def run(app: App, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a use case with a fresh unit of work and commit it."""
    with app.uow() as uow:
        result = fn(uow, *args, **kwargs)
        uow.commit()
    return result


@pytest.fixture(autouse=True)
def _ledger_alone(ledger_alone: None) -> None:
    """Every ledger integration test sees the ledger alone (see ``tests/fixtures/ledger.py``)."""

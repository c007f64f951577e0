"""``autofin ledger …``: statements and checks from the command line (the same services as the API)."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM

ledger_app = typer.Typer(help="General ledger (总账): statements, checks, period close.", no_args_is_help=True)
console = Console()


def register(root: typer.Typer) -> None:
    root.add_typer(ledger_app, name="ledger")


def _app() -> App:
    from autofin.cli import make_app

    return make_app()


@ledger_app.command("trial-balance")
def trial_balance(period: str = typer.Argument(..., help="YYYY-MM")) -> None:
    """Print the trial balance (科目余额表) of a period."""
    from autofin.ledger import statements

    with _app().uow() as uow:
        figures = statements.trial_balance(uow, SYSTEM, period)
    table = Table(title=f"科目余额表 trial balance {period}")
    for header in ("code", "name", "opening Dr", "opening Cr", "debit", "credit", "closing Dr", "closing Cr"):
        table.add_column(header)
    for row in figures.rows:
        table.add_row(
            row.code,
            row.name_zh,
            *(
                f"{v:,.2f}"
                for v in (
                    row.opening_debit,
                    row.opening_credit,
                    row.period_debit,
                    row.period_credit,
                    row.closing_debit,
                    row.closing_credit,
                )
            ),
        )
    console.print(table)
    console.print("[green]balanced[/green]" if figures.balanced else "[red]NOT balanced[/red]")


@ledger_app.command("check")
def check(as_of: str = typer.Option(None, help="YYYY-MM-DD (default: today)")) -> None:
    """Run the ledger invariants (trial balances, balance sheet, voucher numbers, subledgers)."""
    from autofin.ledger.jobs import run_daily_checks

    day = date.fromisoformat(as_of) if as_of else date.today()  # noqa: DTZ011 - a business date, not a timestamp
    with _app().uow() as uow:
        problems = run_daily_checks(uow, day)
    for problem in problems:
        console.print(f"[red]{problem}[/red]")
    if problems:
        raise typer.Exit(1)
    console.print("[green]ledger invariants hold[/green]")


@ledger_app.command("close")
def close(period: str = typer.Argument(..., help="YYYY-MM")) -> None:
    """Close a period (期末结账) after its checklist passes."""
    from autofin.ledger import service

    with _app().uow() as uow:
        checklist = service.close_period(uow, SYSTEM, period)
        uow.commit()
    for name, ok, notes in checklist.items:
        console.print(f"{'✔' if ok else '✘'} {name} {'; '.join(notes)}")
    console.print(f"[green]period {period} closed[/green]")

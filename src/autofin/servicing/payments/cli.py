"""``autofin servicing import-statement FILE.csv`` and ``autofin servicing send-debits [--date D]``.

The commands act as the system user (the command line's own bookkeeping); statement lines become repayments
pending a person's confirmation in the console or the API.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

servicing_app = typer.Typer(help="Servicing (贷后管理): bank statements and direct debits.", no_args_is_help=True)


@servicing_app.command("import-statement")
def import_statement(file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="the bank's CSV export")]) -> None:
    """Import a bank statement: lines matched to loans become repayments pending confirmation; the rest queue."""
    from autofin.cli import make_app
    from autofin.kernel.actor import SYSTEM
    from autofin.kernel.errors import ValidationFailed
    from autofin.servicing.payments import statements

    try:
        content = file.read_bytes()
    except OSError as exc:
        typer.echo(f"error: file: cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    app = make_app()
    with app.uow() as uow:
        try:
            result = statements.import_statement(uow, SYSTEM, file.name, content)
        except ValidationFailed as error:
            problem = error.errors[0] if error.errors else None
            field = problem.field if problem else "file"
            typer.echo(f"error: {field}: {problem.message.en if problem else error.message.en}", err=True)
            raise typer.Exit(2) from None
        uow.commit()
        s = result.statement
        if result.duplicate_file:
            typer.echo(f"{file.name}: already imported as import {s.id}; nothing changed / 该文件已导入，未做任何更改")
            return
        typer.echo(f"import {s.id} {file.name}: {s.lines} lines, {s.new_lines} new, {s.matched} matched "
                   f"(pending confirmation), {s.unmatched} unmatched, {result.skipped} money-out skipped")


@servicing_app.command("send-debits")
def send_debits(on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: business date)")] = None
                ) -> None:
    """Send the direct debits scheduled on or before the date to the bank."""
    from autofin.cli import make_app
    from autofin.kernel.actor import SYSTEM
    from autofin.servicing.payments import debit

    day = None
    if on is not None:
        try:
            day = date.fromisoformat(on)
        except ValueError:
            typer.echo(f"error: date: {on!r} is not a date YYYY-MM-DD / 日期格式应为 YYYY-MM-DD", err=True)
            raise typer.Exit(2) from None
    result = debit.send_due_debits(make_app(), SYSTEM, day)
    typer.echo(f"direct debits {result.on}: {result.submitted} sent, {result.failed} refused, {result.skipped} "
               f"skipped, {result.cancelled} cancelled, {result.unavailable} waiting for the bank")

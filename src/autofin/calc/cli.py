"""``autofin calc``: schedules, annual percentage rates and payoff quotes from JSON (a file or ``-`` for stdin).

Each command prints JSON on stdout; bad input exits with code 2 and one line on stderr naming the field.
All parsing and validation live in :mod:`autofin.calc.io`; this module only reads, calls and prints.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from autofin.kernel.errors import ValidationFailed

from . import io

app = typer.Typer(help="Loan calculations: schedules, APR and payoff quotes (JSON in, JSON out).",
                  no_args_is_help=True, add_completion=False)

FileArgument = Annotated[str, typer.Argument(metavar="FILE|-", help="a JSON file, or - to read stdin")]


def _run(file: str, handler: Callable[[Any], Any]) -> None:
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        typer.echo(f"error: input: cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    try:
        result = handler(io.load_json(text))
    except ValidationFailed as error:
        typer.echo(io.error_line(error), err=True)
        raise typer.Exit(2) from None
    typer.echo(io.dumps(result))


@app.command()
def schedule(file: FileArgument) -> None:
    """Repayment schedule of loan terms (an object, or an array of objects)."""
    _run(file, io.run_schedule)


@app.command()
def apr(file: FileArgument) -> None:
    """Annual percentage rate (pboc or us-reg-z) of dated advances and payments."""
    _run(file, io.run_apr)


@app.command()
def payoff(file: FileArgument) -> None:
    """Amount that settles a loan on as_of after the payments made."""
    _run(file, io.run_payoff)

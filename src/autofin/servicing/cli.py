"""``autofin loan simulate FILE|-`` (pure, no database) and ``autofin eod run [--date D]`` (the end-of-day batch).

The commands only read, call and print: the engine is :mod:`autofin.servicing.engine`, the batch
:mod:`autofin.servicing.eod`. Bad input exits 2 with one line naming the field.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from autofin.calc import io as calc_io
from autofin.kernel.errors import ValidationFailed

loan_app = typer.Typer(help="Loan accounts (贷款账户): simulate a loan's transactions.", no_args_is_help=True)
eod_app = typer.Typer(help="End-of-day batch (日终批处理).", no_args_is_help=True)

FileArgument = Annotated[str, typer.Argument(metavar="FILE|-", help="a JSON file, or - to read stdin")]


@loan_app.command("simulate")
def simulate(file: FileArgument) -> None:
    """The schedule as it stands, each transaction's allocation and the payoff on as_of (JSON in, JSON out)."""
    from autofin.servicing.engine import io

    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        typer.echo(f"error: input: cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    try:
        result = io.run_simulate(calc_io.load_json(text))
    except ValidationFailed as error:
        typer.echo(calc_io.error_line(error), err=True)
        raise typer.Exit(2) from None
    typer.echo(calc_io.dumps(result))


@eod_app.command("run")
def eod_run(
    on: Annotated[str | None, typer.Option("--date", help="business date YYYY-MM-DD (default: the next one)")] = None,
    partitions: Annotated[int, typer.Option(help="loan-id range partitions (at least one per 20,000 loans)")] = 4,
    threads: Annotated[int | None, typer.Option(
        min=1, help="partitions run at once in this process on PostgreSQL (default AUTOFIN_BATCH_THREADS)")] = None,
) -> None:
    """Run (or resume) the end-of-day batch for one business date."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from autofin.cli import make_app
    from autofin.kernel.actor import SYSTEM
    from autofin.servicing.eod import runner

    business_date = None
    if on is not None:
        try:
            business_date = date.fromisoformat(on)
        except ValueError:
            typer.echo(f"error: date: {on!r} is not a date YYYY-MM-DD / 日期格式应为 YYYY-MM-DD", err=True)
            raise typer.Exit(2) from None
    autofin = make_app()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn()) as progress:
        task = progress.add_task("end of day", total=None)

        def report(step: str, done: int, total: int) -> None:
            progress.update(task, description=f"{step}", completed=done, total=total)

        result = runner.run_eod(autofin, SYSTEM, business_date, partitions=partitions, progress=report,
                                threads=threads)
    for step, seconds in result.seconds.items():
        typer.echo(f"{step:<22} {seconds:8.3f} s")
    typer.echo(f"business date {result.business_date} {result.status}: {result.loans} loans")
    if result.status != "succeeded":
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(loan_app, name="loan")
    root.add_typer(eod_app, name="eod")
    from autofin.servicing.payments.cli import servicing_app

    root.add_typer(servicing_app, name="servicing")

"""``autofin registry verify``: walk the lien registry's hash chain and name the first altered entry."""

from __future__ import annotations

import typer

from autofin.kernel.actor import SYSTEM

registry_app = typer.Typer(help="Mortgage/pledge registry (抵押登记簿).", no_args_is_help=True)


@registry_app.command("verify")
def verify() -> None:
    """Check every registry entry against the hash chain; exit 1 when an entry was altered or removed."""
    from autofin.cli import make_app
    from autofin.vehicles import service

    autofin = make_app()
    with autofin.uow() as uow:
        report = service.verify_registry(uow, SYSTEM)
    if report.intact:
        typer.echo(f"registry intact: {report.entries_checked} entries checked")
        return
    typer.echo(f"registry BROKEN at entry {report.first_broken_sequence}: {report.problem}", err=True)
    raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(registry_app, name="registry")

"""``autofin audit verify``: walk the hash chain of the operation log and name the first broken row."""

from __future__ import annotations

import typer

audit_app = typer.Typer(help="Operation log (操作日志): verify the tamper-evident chain.", no_args_is_help=True)


@audit_app.command("verify")
def verify() -> None:
    """Check every audit row; exit 0 when the chain is intact, 1 naming the first broken row otherwise."""
    from autofin.audit.service import verify as verify_chain
    from autofin.cli import make_app

    autofin = make_app()
    with autofin.session_factory() as session:
        report = verify_chain(session)
    if report.intact:
        typer.echo(f"audit chain intact: {report.rows_checked} rows checked")
        return
    typer.echo(
        f"audit chain BROKEN at row {report.first_broken_sequence}: {report.problem} "
        f"({report.rows_checked} rows checked)",
        err=True,
    )
    raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(audit_app, name="audit")

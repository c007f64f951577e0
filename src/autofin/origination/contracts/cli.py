"""``autofin contract verify FILE``: is a signed contract PDF intact, and who signed it (exit 0 / 1)."""

from __future__ import annotations

from pathlib import Path

import typer

from autofin.origination.contracts.signing import trust_roots, verify_signed_pdf
from autofin.settings import Settings

app = typer.Typer(help="Loan contracts (合同): verify signed PDFs.", no_args_is_help=True)


@app.callback()
def contract() -> None:
    """Loan contracts (合同)."""


@app.command("verify")
def verify(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="Signed PDF")) -> None:
    """Report whether a signed PDF is intact (unaltered since signing) and who signed it."""
    report = verify_signed_pdf(file.read_bytes(), trust_roots(Settings()))
    if report.intact:
        when = report.signed_at.isoformat() if report.signed_at else "unknown time"
        typer.echo(f"intact: signed by {report.signer} at {when} ({report.signatures} signature(s))")
        typer.echo("trusted: yes" if report.trusted else "trusted: no (the signer's CA is not a configured trust root)")
        raise typer.Exit(0)
    typer.echo("NOT intact: " + ("; ".join(report.reasons) or "unknown reason"), err=True)
    raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Mount as ``autofin contract`` (for the origination domain's cli)."""
    root.add_typer(app, name="contract")

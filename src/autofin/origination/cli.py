"""Origination's commands: ``autofin contract verify FILE``."""

from __future__ import annotations

import typer

from autofin.origination.contracts import cli as contracts_cli


def register(root: typer.Typer) -> None:
    contracts_cli.register(root)

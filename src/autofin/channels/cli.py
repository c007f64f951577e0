"""``autofin bank-simulator serve``: run the bank simulator locally (the callback key derives from the settings)."""

from __future__ import annotations

from decimal import Decimal

import typer

bank_app = typer.Typer(help="Bank simulator (银行模拟器) for the payment channel.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(bank_app, name="bank-simulator")


@bank_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8765, help="Port to listen on."),
    delay: float = typer.Option(1.0, help="Seconds before the result is called back."),
    failure_rate: float = typer.Option(0.0, min=0.0, max=1.0, help="Share of payments that fail (0–1)."),
    fail_amount: list[str] = typer.Option([], help="An amount that always fails (repeatable), e.g. 444.44."),
    fail_account: list[str] = typer.Option([], help="A payee account that always fails (repeatable)."),
    seed: int = typer.Option(None, help="Random seed for reproducible failures."),
    callback_url: str = typer.Option(None, help="Call back here instead of the URL sent with each instruction."),
) -> None:
    """Accept payment instructions and call back posted / failed, signed with HMAC-SHA256."""
    import uvicorn

    from autofin.channels.config import BankSettings, callback_secret
    from autofin.channels.simulator import BankSimulator, SimulatorConfig
    from autofin.settings import Settings

    config = SimulatorConfig(
        callback_secret=callback_secret(Settings(), BankSettings()),
        delay_seconds=delay,
        failure_rate=failure_rate,
        fail_amounts=frozenset(Decimal(a) for a in fail_amount),
        fail_accounts=frozenset(fail_account),
        seed=seed,
        callback_url=callback_url,
    )
    typer.echo(f"bank simulator on http://{host}:{port} (POST /payments), callbacks after {delay}s")
    uvicorn.run(BankSimulator(config).app(), host=host, port=port, log_level="info")

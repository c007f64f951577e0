"""The ``autofin`` command, assembled from each domain's ``cli.py`` (each exposes ``register(root)``)."""

from __future__ import annotations

import importlib.util

import typer
from rich.console import Console

from autofin import __version__
from autofin.bootstrap import App, bootstrap
from autofin.settings import Settings

app = typer.Typer(
    help="autofin 车贷系统与后台管理 · car-loan system and back office",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (数据库). 迁移 / migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()


def make_app() -> App:
    return bootstrap(Settings())


@app.command()
def version() -> None:
    """Print the autofin version."""
    typer.echo(__version__)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads", help="Target revision (default: the newest).")) -> None:
    """Create or migrate the database schema, then add the built-in records (roles, chart of accounts …)."""
    from autofin.db.migrate import upgrade
    from autofin.domains import domain_modules

    settings = Settings()
    upgrade(settings.database_url, revision)
    autofin = bootstrap(settings)
    with autofin.uow() as uow:
        for module in domain_modules("seed"):
            module.seed(uow)
        uow.commit()
    console.print(f"[green]database at {revision}[/green]: {_safe_url(settings.database_url)}")


@app.command()
def demo() -> None:
    """Load demo data (idempotent: running it again adds nothing twice) and print the demo sign-ins."""
    from autofin.domains import domain_modules

    autofin = make_app()
    lines: list[str] = []
    with autofin.uow() as uow:
        for module in domain_modules("demo"):
            lines.extend(module.load(uow, autofin.settings))
        uow.commit()
    for line in lines:
        console.print(line)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    no_scheduler: bool = typer.Option(False, "--no-scheduler", help="Do not run scheduled jobs in this process."),
) -> None:
    """Serve the console and the API (http://HOST:PORT, API docs at /api/docs)."""
    import uvicorn

    from autofin.api.app import create_app

    web = create_app(Settings(), with_scheduler=not no_scheduler)
    console.print(f"autofin {__version__}: console http://{host}:{port}/  API docs http://{host}:{port}/api/docs")
    uvicorn.run(web, host=host, port=port, log_level="info")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _register_domains() -> None:
    from autofin.domains import domain_modules

    for module in domain_modules("cli"):
        module.register(app)
    if importlib.util.find_spec("autofin.calc.cli") is None:
        return
    from autofin.calc import cli as calc_cli

    app.add_typer(calc_cli.app, name="calc", help="Loan calculations (贷款计算): schedule, apr, payoff.")


_register_domains()


def main() -> None:
    app()
